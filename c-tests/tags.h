/* tags.h - the property tags the C and C++ tests name: those of mapitags.h, which has every
   PR_* tag (each defined only if not defined yet, so a test's own definition still wins). */
#ifndef IMSG_TEST_TAGS_H
#define IMSG_TEST_TAGS_H

#include "mapitags.h"

#endif
