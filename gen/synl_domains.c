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
