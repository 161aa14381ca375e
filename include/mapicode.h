/*
 * mapicode.h - MAPI's status codes.
 *
 * The MAPI_E_* and MAPI_W_* values are generated into <imessage.h> with the rest of the
 * library's constants (this file includes it); here are the SDK's macros around them.
 */
#ifndef IMSG_MAPICODE_H
#define IMSG_MAPICODE_H

#include "imsg_ole.h"

#define MAKE_MAPI_SCODE(sev, fac, code) \
    ((SCODE)(((ULONG)(sev) << 31) | ((ULONG)(fac) << 16) | ((ULONG)(code))))
#define MAKE_MAPI_E(code) MAKE_MAPI_SCODE(1, FACILITY_ITF, code)
#define MAKE_MAPI_S(code) MAKE_MAPI_SCODE(0, FACILITY_ITF, code)

/* Warnings (MAPI_W_*) are successes: test results with these, not against S_OK. */
#define hrSuccess 0
#define HR_SUCCEEDED(hr) SUCCEEDED((SCODE)(hr))
#define HR_FAILED(hr) FAILED((SCODE)(hr))

/* Not while imessage.h itself is being read (it includes this file at its top). */
#ifndef IMESSAGE_H
#  include "imessage.h"
#endif

#endif /* IMSG_MAPICODE_H */
