/* Shared helpers of the libFuzzer targets: inputs that the library reads
 * from files are written to a private temporary directory first. */
#ifndef LONGWEAVE_FUZZ_COMMON_H
#define LONGWEAVE_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A directory of this process (under /dev/shm when there is one: the
 * targets write a file per input). */
static inline const char *fuzz_dir(void)
{
    static char dir[64];
    if (!dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/lwfuzz.XXXXXX", base);
        if (!mkdtemp(dir))
            abort();
    }
    return dir;
}

/* Write data to DIR/name and return the path (static storage). */
static inline const char *fuzz_file(const char *name, const void *data, size_t len)
{
    static char path[2][256];
    static int which;
    char *p = path[which ^= 1];
    snprintf(p, sizeof path[0], "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(p, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
        abort();
    return p;
}

/* A tokenizer of the test fixtures (FUZZ_FIXTURES is set by the Makefile). */
#define FUZZ_FIXTURE(name) FUZZ_FIXTURES "/tokenizers/" name

#endif
