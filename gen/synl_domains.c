/* SynL's built-in domains and word lists (compiled in; no data files). */
#include "synl_internal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define DAYS(y) ((int64_t)((y) - 1970) * 36524 / 100) /* about Jan 1 of year y */

const char *const synl_first_names[] = {
    "Ada", "Alan", "Amara", "Anika", "Arjun", "Beatriz", "Bjorn", "Carmen", "Chen", "Chloe",
    "Daniel", "Dmitri", "Elena", "Emeka", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ines",
    "Isaac", "Jamal", "Jia", "Jonas", "Kai", "Kavya", "Lars", "Leila", "Liam", "Lucia",
    "Mateo", "Maya", "Mei", "Mohammed", "Nadia", "Noah", "Nora", "Olga", "Omar", "Priya",
    "Rafael", "Rania", "Ravi", "Rosa", "Sakura", "Samuel", "Sofia", "Tariq", "Thea", "Tomas",
    "Uma", "Victor", "Wei", "Xavier", "Yara", "Yusuf", "Zara", "Zoe", "Ingrid", "Pablo",
};
const size_t synl_n_first_names = N(synl_first_names);

const char *const synl_last_names[] = {
    "Abbott", "Adeyemi", "Alvarez", "Andersen", "Baker", "Banerjee", "Bauer", "Becker",
    "Brennan", "Castillo", "Chandra", "Costa", "Dubois", "Eriksson", "Fischer", "Fontaine",
    "Garcia", "Gupta", "Hansen", "Hayashi", "Horvath", "Ivanova", "Jensen", "Kang", "Kaur",
    "Keller", "Kowalski", "Larsen", "Lopez", "Mensah", "Moreau", "Murphy", "Nakamura", "Novak",
    "Okafor", "Olsen", "Park", "Patel", "Petrov", "Quinn", "Ramos", "Reyes", "Rossi", "Santos",
    "Schmidt", "Silva", "Singh", "Sato", "Tanaka", "Torres", "Varga", "Wagner", "Walsh",
    "Weber", "Yilmaz", "Young", "Zhang", "Zhou", "Lindqvist", "Oyelaran",
};
const size_t synl_n_last_names = N(synl_last_names);

const char *const synl_places[] = {
    "Accra", "Adelaide", "Amsterdam", "Athens", "Auckland", "Austin", "Bangalore", "Barcelona",
    "Beijing", "Bergen", "Berlin", "Bogota", "Boston", "Brisbane", "Brno", "Budapest",
    "Buenos Aires", "Cairo", "Calgary", "Cape Town", "Casablanca", "Chennai", "Chicago",
    "Copenhagen", "Dakar", "Delhi", "Denver", "Dublin", "Edinburgh", "Florence", "Geneva",
    "Glasgow", "Hamburg", "Hanoi", "Helsinki", "Istanbul", "Jakarta", "Kyoto", "Lagos", "Lima",
    "Lisbon", "Ljubljana", "London", "Lyon", "Madrid", "Manila", "Marseille", "Melbourne",
    "Mexico City", "Milan", "Montreal", "Mumbai", "Munich", "Nairobi", "Naples", "Osaka", "Oslo",
    "Ottawa", "Porto", "Prague", "Quito", "Reykjavik", "Riga", "Rome", "Santiago", "Sao Paulo",
    "Seattle", "Seoul", "Seville", "Singapore", "Stockholm", "Sydney", "Taipei", "Tallinn",
    "Tbilisi", "Tokyo", "Toronto", "Valencia", "Vienna", "Vilnius", "Warsaw", "Zurich",
};
const size_t synl_n_places = N(synl_places);

const char *const synl_adjectives[] = {
    "amber", "bold", "brisk", "calm", "clever", "coastal", "crimson", "daring", "distant",
    "eager", "early", "fabled", "gentle", "golden", "hidden", "hollow", "humble", "icy",
    "jolly", "keen", "lively", "lucky", "merry", "misty", "noble", "quiet", "rapid", "rustic",
    "silent", "silver", "steady", "sunny", "swift", "tidy", "urban", "velvet", "vivid", "wild",
    "wise", "young",
};
const size_t synl_n_adjectives = N(synl_adjectives);

const char *const synl_nouns[] = {
    "anchor", "arrow", "atlas", "beacon", "bridge", "canyon", "castle", "cedar", "comet",
    "compass", "crystal", "delta", "ember", "falcon", "forest", "garden", "glacier", "harbor",
    "horizon", "island", "lantern", "meadow", "mirror", "orbit", "orchard", "pebble", "pine",
    "prairie", "quartz", "raven", "river", "summit", "thunder", "tide", "valley", "voyage",
    "willow", "window", "zephyr", "lotus",
};
const size_t synl_n_nouns = N(synl_nouns);

/* Chinese (--lang zh): the same number of entries as the English lists, so a
 * cell's code is the same in both languages and only its text differs. */
/* Given names of one or two characters: a name is its one-character surname
 * then its given name, so no two names write the same. */
const char *const synl_first_names_zh[] = {
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "晓明", "子涵", "浩然", "雨桐",
    "欣怡", "梓轩", "思远", "嘉怡", "俊杰", "文博", "诗涵", "宇航", "佳琪", "天佑", "梦琪",
    "志强", "海燕", "晨曦", "一鸣", "若曦", "家豪", "雅婷", "博文", "紫萱", "皓轩", "心怡",
    "明哲", "晓燕", "国栋", "春梅", "振宇", "秋月", "立新", "慧敏", "建军", "丹丹", "子墨",
};
_Static_assert(N(synl_first_names_zh) == N(synl_first_names), "one entry per English one");

const char *const synl_last_names_zh[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
    "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏",
    "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
};
_Static_assert(N(synl_last_names_zh) == N(synl_last_names), "one entry per English one");

const char *const synl_places_zh[] = {
    "北京", "上海", "广州", "深圳", "天津", "重庆", "成都", "杭州", "武汉", "西安", "南京",
    "苏州", "长沙", "郑州", "青岛", "沈阳", "大连", "厦门", "福州", "济南", "合肥", "昆明",
    "哈尔滨", "长春", "石家庄", "太原", "南昌", "南宁", "贵阳", "兰州", "西宁", "银川",
    "乌鲁木齐", "拉萨", "呼和浩特", "海口", "三亚", "宁波", "无锡", "温州", "佛山", "东莞",
    "珠海", "烟台", "洛阳", "桂林", "丽江", "大理", "绍兴", "扬州", "徐州", "常州", "泉州",
    "汕头", "惠州", "中山", "嘉兴", "台州", "金华", "潍坊", "唐山", "保定", "邯郸", "秦皇岛",
    "威海", "淄博", "襄阳", "宜昌", "岳阳", "株洲", "赣州", "九江", "芜湖", "蚌埠", "遵义",
    "柳州", "湛江", "江门", "开封", "安阳", "香港", "澳门",
};
_Static_assert(N(synl_places_zh) == N(synl_places), "one entry per English one");

/* Two characters each, so an adjective and a noun written together read
 * back one way. */
const char *const synl_adjectives_zh[] = {
    "金色", "银色", "安静", "明亮", "遥远", "古老", "勇敢", "温柔", "迅捷", "沉稳", "晴朗",
    "朦胧", "翠绿", "湛蓝", "火红", "雪白", "幽静", "辽阔", "清澈", "深邃", "灵动", "坚毅",
    "欢快", "神秘", "温暖", "凛冽", "葱郁", "璀璨", "淡雅", "豪迈", "宁静", "苍茫", "炽热",
    "轻盈", "悠远", "斑斓", "皎洁", "峻峭", "浩瀚", "恬淡",
};
_Static_assert(N(synl_adjectives_zh) == N(synl_adjectives), "one entry per English one");

const char *const synl_nouns_zh[] = {
    "灯塔", "河流", "山峰", "森林", "花园", "港湾", "峡谷", "冰川", "彗星", "罗盘", "水晶",
    "湖泊", "松树", "雪松", "草原", "岛屿", "灯笼", "镜子", "果园", "卵石", "乌鸦", "雷霆",
    "潮汐", "山谷", "航程", "柳树", "窗户", "西风", "莲花", "凤凰", "星辰", "月光", "瀑布",
    "溪流", "城堡", "桥梁", "海燕", "云杉", "麦田", "沙丘",
};
_Static_assert(N(synl_nouns_zh) == N(synl_nouns), "one entry per English one");

static const char *const departments[] = {"Engineering", "Finance",   "Human Resources",
                                          "Legal",       "Marketing", "Operations",
                                          "Sales",       "Support"};
static const char *const product_categories[] = {"Automotive", "Beauty", "Books",  "Electronics",
                                                 "Garden",     "Kitchen", "Sports", "Toys"};
static const char *const airlines[] = {"Aurora Air",  "Blue Crane", "Coral Wings", "Delta Star",
                                       "Eastwind",    "Fjord Air",  "Gulfline",    "Highland"};
static const char *const genres[] = {"Biography", "Fantasy", "History",  "Mystery",
                                     "Poetry",    "Romance", "Science", "Thriller"};
static const char *const countries[] = {"Argentina", "Brazil", "Canada", "Egypt", "France",
                                        "India",     "Japan",  "Kenya",  "Norway", "Spain"};
static const char *const majors[] = {"Biology",     "Chemistry", "Computer Science",
                                     "Economics",   "History",   "Mathematics",
                                     "Philosophy",  "Physics"};
static const char *const merchants[] = {"BookNook", "CityFuel", "FreshMart", "GadgetHub",
                                        "HomeBase", "PetPal",   "QuickEats", "TravelCo"};
static const char *const sensor_types[] = {"air quality", "humidity", "light", "noise",
                                           "pressure",    "temperature", "vibration",
                                           "water level"};
static const char *const job_titles[] = {"analyst", "architect", "consultant", "coordinator",
                                         "designer", "engineer", "manager", "specialist"};

#define COL(n, t) {n, t, 0, 0, NULL, 0, false}
#define RANGE(n, t, lo, hi) {n, t, lo, hi, NULL, 0, false}
#define LIST(n, t, l) {n, t, 0, 0, l, N(l), false}

static const synl_column employees[] = {
    COL("id", SYNL_ID), COL("name", SYNL_NAME), LIST("department", SYNL_CATEGORY, departments),
    LIST("title", SYNL_TEXT, job_titles), COL("city", SYNL_PLACE),
    RANGE("salary", SYNL_DECIMAL, 3000000, 18000000), RANGE("level", SYNL_INT, 1, 9),
    RANGE("hire_date", SYNL_DATE, DAYS(2000), DAYS(2025) - 1), COL("remote", SYNL_BOOL),
};
static const synl_column products[] = {
    COL("id", SYNL_ID), COL("name", SYNL_TEXT), LIST("category", SYNL_CATEGORY, product_categories),
    RANGE("price", SYNL_DECIMAL, 99, 250000), RANGE("stock", SYNL_INT, 0, 5000),
    RANGE("released", SYNL_DATE, DAYS(2010), DAYS(2025) - 1), COL("discontinued", SYNL_BOOL),
    COL("warehouse", SYNL_PLACE),
};
static const synl_column flights[] = {
    COL("id", SYNL_ID), LIST("airline", SYNL_CATEGORY, airlines), COL("origin", SYNL_PLACE),
    COL("destination", SYNL_PLACE), RANGE("departure", SYNL_DATE, DAYS(2022), DAYS(2025) - 1),
    RANGE("duration_min", SYNL_INT, 45, 960), RANGE("fare", SYNL_DECIMAL, 3900, 240000),
    COL("delayed", SYNL_BOOL), COL("captain", SYNL_NAME),
};
static const synl_column books[] = {
    COL("id", SYNL_ID), COL("title", SYNL_TEXT), COL("author", SYNL_NAME),
    LIST("genre", SYNL_CATEGORY, genres), RANGE("pages", SYNL_INT, 48, 1200),
    RANGE("published", SYNL_DATE, DAYS(1950), DAYS(2025) - 1),
    RANGE("price", SYNL_DECIMAL, 299, 9999), COL("in_stock", SYNL_BOOL),
};
static const synl_column cities[] = {
    COL("id", SYNL_ID), COL("city", SYNL_PLACE), LIST("country", SYNL_CATEGORY, countries),
    RANGE("population", SYNL_INT, 5000, 20000000), RANGE("area_km2", SYNL_DECIMAL, 500, 900000),
    RANGE("founded", SYNL_INT, 800, 1990), COL("coastal", SYNL_BOOL), COL("mayor", SYNL_NAME),
    RANGE("census", SYNL_DATE, DAYS(2010), DAYS(2025) - 1),
};
static const synl_column students[] = {
    COL("id", SYNL_ID), COL("name", SYNL_NAME), LIST("major", SYNL_CATEGORY, majors),
    RANGE("gpa", SYNL_DECIMAL, 100, 400), RANGE("credits", SYNL_INT, 0, 180),
    RANGE("enrolled", SYNL_DATE, DAYS(2015), DAYS(2025) - 1), COL("scholarship", SYNL_BOOL),
    COL("hometown", SYNL_PLACE),
};
static const synl_column transactions[] = {
    COL("id", SYNL_ID), COL("customer", SYNL_NAME), LIST("merchant", SYNL_CATEGORY, merchants),
    RANGE("amount", SYNL_DECIMAL, 100, 500000), RANGE("date", SYNL_DATE, DAYS(2020), DAYS(2025) - 1),
    RANGE("items", SYNL_INT, 1, 40), COL("refunded", SYNL_BOOL), COL("city", SYNL_PLACE),
};
static const synl_column sensors[] = {
    COL("id", SYNL_ID), LIST("type", SYNL_CATEGORY, sensor_types), COL("site", SYNL_PLACE),
    RANGE("reading", SYNL_DECIMAL, 0, 12000), RANGE("battery_pct", SYNL_INT, 0, 100),
    RANGE("installed", SYNL_DATE, DAYS(2016), DAYS(2025) - 1), COL("online", SYNL_BOOL),
    COL("label", SYNL_TEXT),
};

#define SCHEMA(n, e, p, c, j, d) {n, e, p, c, N(c), j, d, false}

const synl_schema synl_builtin[] = {
    SCHEMA("employees", "employee", "E", employees, 2, "departments"),
    SCHEMA("products", "product", "P", products, 2, "categories"),
    SCHEMA("flights", "flight", "F", flights, 1, "airlines"),
    SCHEMA("books", "book", "B", books, 3, "genres"),
    SCHEMA("cities", "city", "C", cities, 2, "countries"),
    SCHEMA("students", "student", "S", students, 2, "majors"),
    SCHEMA("transactions", "transaction", "T", transactions, 2, "merchants"),
    SCHEMA("sensors", "sensor", "X", sensors, 1, "sensor_types"),
};
const size_t synl_builtin_count = N(synl_builtin);

/* The built-in domains in Chinese: the same columns, types and ranges in the
 * same order (a sample draws the same codes in either language), with
 * Chinese names and values. Ids, numbers and dates are written as in English. */
static const char *const departments_zh[] = {"研发部", "财务部", "人力资源部", "法务部",
                                             "市场部", "运营部", "销售部",     "客服部"};
static const char *const product_categories_zh[] = {"汽车用品", "美妆", "图书", "电子产品",
                                                    "园艺",     "厨具", "运动", "玩具"};
static const char *const airlines_zh[] = {"极光航空", "蓝鹤航空", "珊瑚之翼", "星辰航空",
                                          "东风航空", "峡湾航空", "海湾航线", "高原航空"};
static const char *const genres_zh[] = {"传记", "奇幻", "历史", "悬疑",
                                        "诗歌", "爱情", "科学", "惊悚"};
static const char *const countries_zh[] = {"阿根廷", "巴西", "加拿大", "埃及", "法国",
                                           "印度",   "日本", "肯尼亚", "挪威", "西班牙"};
static const char *const majors_zh[] = {"生物学", "化学", "计算机科学", "经济学",
                                        "历史学", "数学", "哲学",       "物理学"};
static const char *const merchants_zh[] = {"书香阁", "城市加油站", "鲜果超市", "数码汇",
                                           "家居坊", "宠物乐园",   "快食餐厅", "旅途网"};
static const char *const sensor_types_zh[] = {"空气质量", "湿度", "光照", "噪声",
                                              "气压",     "温度", "振动", "水位"};
static const char *const job_titles_zh[] = {"分析师", "架构师", "顾问",   "协调员",
                                            "设计师", "工程师", "经理", "专员"};

static const synl_column employees_zh[] = {
    COL("编号", SYNL_ID), COL("姓名", SYNL_NAME), LIST("部门", SYNL_CATEGORY, departments_zh),
    LIST("职位", SYNL_TEXT, job_titles_zh), COL("城市", SYNL_PLACE),
    RANGE("薪资", SYNL_DECIMAL, 3000000, 18000000), RANGE("职级", SYNL_INT, 1, 9),
    RANGE("入职日期", SYNL_DATE, DAYS(2000), DAYS(2025) - 1), COL("远程办公", SYNL_BOOL),
};
static const synl_column products_zh[] = {
    COL("编号", SYNL_ID), COL("名称", SYNL_TEXT),
    LIST("类别", SYNL_CATEGORY, product_categories_zh),
    RANGE("价格", SYNL_DECIMAL, 99, 250000), RANGE("库存", SYNL_INT, 0, 5000),
    RANGE("上市日期", SYNL_DATE, DAYS(2010), DAYS(2025) - 1), COL("已停产", SYNL_BOOL),
    COL("仓库", SYNL_PLACE),
};
static const synl_column flights_zh[] = {
    COL("编号", SYNL_ID), LIST("航空公司", SYNL_CATEGORY, airlines_zh), COL("出发地", SYNL_PLACE),
    COL("目的地", SYNL_PLACE), RANGE("起飞日期", SYNL_DATE, DAYS(2022), DAYS(2025) - 1),
    RANGE("时长（分钟）", SYNL_INT, 45, 960), RANGE("票价", SYNL_DECIMAL, 3900, 240000),
    COL("延误", SYNL_BOOL), COL("机长", SYNL_NAME),
};
static const synl_column books_zh[] = {
    COL("编号", SYNL_ID), COL("书名", SYNL_TEXT), COL("作者", SYNL_NAME),
    LIST("类型", SYNL_CATEGORY, genres_zh), RANGE("页数", SYNL_INT, 48, 1200),
    RANGE("出版日期", SYNL_DATE, DAYS(1950), DAYS(2025) - 1),
    RANGE("价格", SYNL_DECIMAL, 299, 9999), COL("有货", SYNL_BOOL),
};
static const synl_column cities_zh[] = {
    COL("编号", SYNL_ID), COL("城市", SYNL_PLACE), LIST("国家", SYNL_CATEGORY, countries_zh),
    RANGE("人口", SYNL_INT, 5000, 20000000), RANGE("面积（平方千米）", SYNL_DECIMAL, 500, 900000),
    RANGE("建城年份", SYNL_INT, 800, 1990), COL("沿海", SYNL_BOOL), COL("市长", SYNL_NAME),
    RANGE("普查日期", SYNL_DATE, DAYS(2010), DAYS(2025) - 1),
};
static const synl_column students_zh[] = {
    COL("编号", SYNL_ID), COL("姓名", SYNL_NAME), LIST("专业", SYNL_CATEGORY, majors_zh),
    RANGE("绩点", SYNL_DECIMAL, 100, 400), RANGE("学分", SYNL_INT, 0, 180),
    RANGE("入学日期", SYNL_DATE, DAYS(2015), DAYS(2025) - 1), COL("奖学金", SYNL_BOOL),
    COL("家乡", SYNL_PLACE),
};
static const synl_column transactions_zh[] = {
    COL("编号", SYNL_ID), COL("客户", SYNL_NAME), LIST("商户", SYNL_CATEGORY, merchants_zh),
    RANGE("金额", SYNL_DECIMAL, 100, 500000), RANGE("日期", SYNL_DATE, DAYS(2020), DAYS(2025) - 1),
    RANGE("件数", SYNL_INT, 1, 40), COL("已退款", SYNL_BOOL), COL("城市", SYNL_PLACE),
};
static const synl_column sensors_zh[] = {
    COL("编号", SYNL_ID), LIST("类型", SYNL_CATEGORY, sensor_types_zh), COL("站点", SYNL_PLACE),
    RANGE("读数", SYNL_DECIMAL, 0, 12000), RANGE("电量百分比", SYNL_INT, 0, 100),
    RANGE("安装日期", SYNL_DATE, DAYS(2016), DAYS(2025) - 1), COL("在线", SYNL_BOOL),
    COL("标签", SYNL_TEXT),
};

/* In synl_builtin's order. */
static const synl_schema builtin_zh[] = {
    SCHEMA("员工", "员工", "E", employees_zh, 2, "部门"),
    SCHEMA("产品", "产品", "P", products_zh, 2, "产品类别"),
    SCHEMA("航班", "航班", "F", flights_zh, 1, "航空公司"),
    SCHEMA("图书", "图书", "B", books_zh, 3, "图书类型"),
    SCHEMA("城市", "城市", "C", cities_zh, 2, "国家"),
    SCHEMA("学生", "学生", "S", students_zh, 2, "专业"),
    SCHEMA("交易", "交易", "T", transactions_zh, 2, "商户"),
    SCHEMA("传感器", "传感器", "X", sensors_zh, 1, "传感器类型"),
};
_Static_assert(N(builtin_zh) == N(synl_builtin), "one domain per English one");

const synl_schema *synl_schema_in(const synl_schema *s, synl_lang lang)
{
    for (size_t i = 0; lang == SYNL_ZH && i < synl_builtin_count; i++)
        if (s == &synl_builtin[i])
            return &builtin_zh[i];
    return s; /* a --schema domain is written as its file says */
}
