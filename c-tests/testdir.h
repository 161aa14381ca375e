/* testdir.h - a private temporary directory for one test program, and UTF-16 paths inside
   it for the storage functions. Compiles as C and as C++. */
#ifndef IMSG_TESTDIR_H
#define IMSG_TESTDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "imessage.h"

static char test_dir[64];

/* Creates the directory (mkdtemp) under /tmp; returns 0 on failure. */
static int test_dir_create(const char *prefix)
{
    snprintf(test_dir, sizeof(test_dir), "/tmp/%s-XXXXXX", prefix);
    return mkdtemp(test_dir) != NULL;
}

/* "<dir>/<name>" in `path` (256 chars) and, when `wpath` is given, as UTF-16 (ASCII). */
static void test_path(const char *name, char *path, WCHAR *wpath)
{
    int i;
    snprintf(path, 256, "%s/%s", test_dir, name);
    if (wpath)
        for (i = 0; (wpath[i] = (WCHAR)(unsigned char)path[i]) != 0; i++) {
        }
}

/* Removes everything in the directory (the library may leave nothing, but a failed
   check must not leave files behind either), then the directory. */
static void test_dir_remove(void)
{
    DIR *d = opendir(test_dir);
    struct dirent *e;
    char path[512];
    if (d) {
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0)))
                continue;
            snprintf(path, sizeof(path), "%s/%s", test_dir, e->d_name);
            remove(path);
        }
        closedir(d);
    }
    rmdir(test_dir);
}

#endif
