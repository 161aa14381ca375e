/*
 * winerror.h - on other platforms than Windows, what MAPI code needs from the Windows header of
 * this name: S_OK, E_*, STG_E_*, STG_S_* and the HRESULT macros (SUCCEEDED, FAILED, MAKE_HRESULT, ...). These come from
 * imsg_ole.h and the generated imessage.h, which this file includes.
 *
 * On Windows the system's header is used: with GCC or Clang (MinGW) this file hands over to
 * it; other compilers must find the SDK's headers before this directory.
 */
#if defined(_WIN32)
#  if defined(__GNUC__) || defined(__clang__)
#    include_next <winerror.h>
#  else
#    error "imessage's include/ provides <winerror.h> only outside Windows: list the SDK's include directories first"
#  endif
#else
#  include "imessage.h"
#endif
