/* compat.h - what the c-tests/ programs use from POSIX that mingw-w64 lacks. Forced into
   each Windows test build with -include by tests/windows-tier.sh; test-only. */
#ifndef IMSG_WIN_COMPAT_H
#define IMSG_WIN_COMPAT_H
#ifdef _WIN32
#include <direct.h>
#include <io.h>
#include <stdlib.h>

/* mkdtemp(3): the template's trailing XXXXXX made unique, then the directory created. */
static inline char *imsg_mkdtemp(char *tmpl)
{
    if (_mktemp(tmpl) == NULL)
        return NULL;
    return _mkdir(tmpl) == 0 ? tmpl : NULL;
}
#define mkdtemp imsg_mkdtemp
#endif
#endif
