/*
 * mapival.h - the SDK's parameter-validation header. Its FBad* and Validate_* checks are
 * not provided: libimessage validates the parameters of its own functions. Included for
 * programs that name the header.
 */
#ifndef IMSG_MAPIVAL_H
#define IMSG_MAPIVAL_H

#include "mapiutil.h"

#endif /* IMSG_MAPIVAL_H */
