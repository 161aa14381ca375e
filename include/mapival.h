/*
 * mapival.h - the SDK's parameter-validation header. Its validators (FBadProp, FBadPropTag,
 * FBadRow, FBadRowSet, FBadColumnSet, FBadSortOrderSet, FBadRestriction, FBadEntryList,
 * FBadRglpszA, FBadRglpszW, FBadRglpNameID) are declared in <imessage.h> with every other
 * export of the library. The Validate_* macros and the __ValidateParameters machinery
 * behind them are not provided: libimessage validates the parameters of its own functions.
 */
#ifndef IMSG_MAPIVAL_H
#define IMSG_MAPIVAL_H

#include "mapiutil.h"

#endif /* IMSG_MAPIVAL_H */
