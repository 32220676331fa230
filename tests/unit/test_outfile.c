/* Crash-safe output files (lw_outfile, lw_bufout): a zeroed struct owns no
 * file descriptor; what reaches the file and its checksum are checked
 * against the file read back and lw_sha256_file. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "longweave/bufout.h"
#include "longweave/outfile.h"

/* Put /dev/null on fd 0, whatever stdin was, and return the old stdin. */
static int stdin_on_devnull(void)
{
    int saved = dup(0);
    int fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    if (fd != 0) {
        assert_int_equal(dup2(fd, 0), 0);
        close(fd);
    }
    return saved;
}

static void restore_stdin(int saved)
{
    if (saved >= 0) {
        dup2(saved, 0);
        close(saved);
    }
}

static void test_zeroed_release_keeps_fd0(void **state)
{
    (void)state;
    int saved = stdin_on_devnull();
    lw_outfile f;
    memset(&f, 0, sizeof f);
    lw_outfile_release(&f);
    assert_true(fcntl(0, F_GETFD) != -1);
    lw_outfile_release(&f); /* released twice: still nothing to close */
    assert_true(fcntl(0, F_GETFD) != -1);
    restore_stdin(saved);
}

static void test_zeroed_unpublish_keeps_fd0(void **state)
{
    (void)state;
    int saved = stdin_on_devnull();
    lw_outfile f;
    memset(&f, 0, sizeof f);
    lw_outfile_unpublish(&f);
    assert_true(fcntl(0, F_GETFD) != -1);
    lw_bufout b;
    memset(&b, 0, sizeof b);
    lw_bufout_release(&b);
    assert_true(fcntl(0, F_GETFD) != -1);
    restore_stdin(saved);
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(*len ? *len : 1);
    assert_int_equal(fread(p, 1, *len, f), *len);
    fclose(f);
    return p;
}

/* Ids of every store width, small puts and puts larger than the buffer,
 * across many background writes: the file holds them in order, each id as
 * lw_put_le writes it, and the running checksum is the file's. */
static void test_bufout_stores_and_checksum(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char path[4200];
    snprintf(path, sizeof path, "%s/out.bin", dir);
    enum { N = 700001 };
    uint32_t *ids = malloc(N * sizeof *ids);
    for (size_t i = 0; i < N; i++)
        ids[i] = (uint32_t)(i * 2654435761u);
    size_t big = 3 * LW_BUFOUT_MAX + 17;
    unsigned char *blob = malloc(big);
    for (size_t i = 0; i < big; i++)
        blob[i] = (unsigned char)(i * 7 + 3);
    lw_bufout b;
    lw_error err;
    assert_int_equal(lw_bufout_open(&b, path, true, &err), LW_OK);
    size_t expect_len = 0;
    static const int widths[] = {1, 2, 4, 8};
    for (int round = 0; round < 3; round++)
        for (int w = 0; w < 4; w++) {
            assert_int_equal(lw_bufout_put_le(&b, ids, N, widths[w], &err), LW_OK);
            expect_len += (size_t)N * (size_t)widths[w];
            assert_int_equal(lw_bufout_put(&b, "x", 1, &err), LW_OK);
            expect_len++;
        }
    assert_int_equal(lw_bufout_put(&b, blob, big, &err), LW_OK);
    assert_int_equal(lw_bufout_put_u32(&b, 0xdeadbeefu, &err), LW_OK);
    expect_len += big + 4;
    assert_int_equal(lw_bufout_finish(&b, &err), LW_OK);
    assert_int_equal(b.f.bytes, expect_len);
    size_t len;
    unsigned char *got = read_all(b.f.tmp_path, &len);
    assert_int_equal(len, expect_len);
    size_t at = 0;
    unsigned char le[8];
    for (int round = 0; round < 3; round++)
        for (int w = 0; w < 4; w++) {
            for (size_t i = 0; i < N; i++, at += (size_t)widths[w]) {
                lw_put_le(le, ids[i], widths[w]);
                if (memcmp(got + at, le, (size_t)widths[w]) != 0)
                    fail_msg("width %d, id %zu differs", widths[w], i);
            }
            assert_int_equal(got[at++], 'x');
        }
    assert_memory_equal(got + at, blob, big);
    assert_int_equal(lw_get_le(got + at + big, 4), 0xdeadbeefu);
    char hex[LW_SHA256_HEX];
    assert_int_equal(lw_sha256_file(b.f.tmp_path, hex, &err), LW_OK);
    assert_string_equal(hex, b.f.sha256);
    lw_bufout_release(&b);
    assert_int_equal(access(path, F_OK), -1); /* never published: nothing left */
    free(got);
    free(blob);
    free(ids);
    tu_rmtree(dir);
}

/* A file that stays small keeps the first, small buffer; one written in a
 * long stream ends with LW_BUFOUT_MAX ones, so that a batch's burst of ids
 * does not wait on the write before it. */
static void test_bufout_grows_with_the_file(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char path[4200];
    snprintf(path, sizeof path, "%s/grow.bin", dir);
    lw_bufout b;
    lw_error err;
    assert_int_equal(lw_bufout_open(&b, path, false, &err), LW_OK);
    uint32_t ids[1000];
    for (size_t i = 0; i < 1000; i++)
        ids[i] = (uint32_t)i;
    assert_int_equal(lw_bufout_put_le(&b, ids, 1000, 4, &err), LW_OK);
    assert_int_equal(b.cap, LW_BUFOUT_MIN);
    size_t total = 4000;
    while (total < 4 * (size_t)LW_BUFOUT_MAX) {
        assert_int_equal(lw_bufout_put_le(&b, ids, 1000, 4, &err), LW_OK);
        total += 4000;
    }
    assert_int_equal(b.cap, LW_BUFOUT_MAX);
    assert_int_equal(lw_bufout_finish(&b, &err), LW_OK);
    assert_int_equal(b.f.bytes, total);
    struct stat st;
    assert_int_equal(stat(b.f.tmp_path, &st), 0);
    assert_int_equal((size_t)st.st_size, total);
    lw_bufout_release(&b);
    tu_rmtree(dir);
}

/* A write that fails in the background (the file size limit, as a full
 * disk) is LW_E_IO naming the file, from a later put or at finish at the
 * latest; finish never succeeds after it. */
static void test_bufout_background_error(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char path[4200];
    snprintf(path, sizeof path, "%s/full.bin", dir);
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = {3 * LW_BUFOUT_MAX / 2, old.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    lw_bufout b;
    lw_error err = {0};
    assert_int_equal(lw_bufout_open(&b, path, true, &err), LW_OK);
    unsigned char *chunk = calloc(1, 4096);
    lw_status st = LW_OK;
    for (int i = 0; i < 3 * LW_BUFOUT_MAX / 4096 && !st; i++)
        st = lw_bufout_put(&b, chunk, 4096, &err);
    if (!st)
        st = lw_bufout_finish(&b, &err);
    assert_int_equal(st, LW_E_IO);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, strerror(EFBIG)));
    assert_int_equal(lw_outfile_finish(&b.f, &err), LW_E_IO);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    lw_bufout_release(&b);
    free(chunk);
    tu_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeroed_release_keeps_fd0),
        cmocka_unit_test(test_zeroed_unpublish_keeps_fd0),
        cmocka_unit_test(test_bufout_stores_and_checksum),
        cmocka_unit_test(test_bufout_grows_with_the_file),
        cmocka_unit_test(test_bufout_background_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
