/*
 * mapiutil.h - MAPI's utility functions.
 *
 * libimessage's helpers (HrGetOneProp, HrSetOneProp, HrQueryAllRows, FreeProws,
 * FreePadrlist, PpropFindProp, LpValFindProp, PropCopyMore, ScCopyProps, ScDupPropset,
 * ScCountProps, ScRelocProps, UlPropSize, FPropExists, FPropContainsProp,
 * FPropCompareProp, LPropCompareProp, FEqualNames, UlAddRef, UlRelease, ScInitMapiUtil,
 * DeinitMapiUtil, HrThisThreadAdviseSink, HrDispatchNotifications, the entry-identifier
 * helpers (HrSzFromEntryID, HrEntryIDFromSz, HrComposeEID, HrDecomposeEID, HrComposeMsgID,
 * HrDecomposeMsgID; IMAPISession is in <mapix.h>), WrapCompressedRTFStream,
 * WrapCompressedRTFStreamEx, RTFSync and their
 * RTF_SYNC_* / MAPI_NATIVE_BODY* constants; RTF_WCSINFO and RTF_WCSRETINFO are in
 * <mapidefs.h>) and MAPIGetDefaultMalloc are declared in <imessage.h> with every other
 * export of the library; this file brings in all the MAPI headers, as the SDK's does.
 */
#ifndef IMSG_MAPIUTIL_H
#define IMSG_MAPIUTIL_H

#include "mapix.h"

#endif /* IMSG_MAPIUTIL_H */
