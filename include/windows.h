/*
 * windows.h - on other platforms than Windows, what MAPI code needs from the Windows header of
 * this name: base types, calling conventions, GUIDs, FILETIME, LARGE_INTEGER, HRESULT macros and the Win32 error codes MAPI code uses. These come from
 * imsg_ole.h and the generated imessage.h, which this file includes.
 *
 * On Windows the system's header is used: with GCC or Clang (MinGW) this file hands over to
 * it; other compilers must find the SDK's headers before this directory.
 */
#if defined(_WIN32)
#  if defined(__GNUC__) || defined(__clang__)
#    include_next <windows.h>
#  else
#    error "imessage's include/ provides <windows.h> only outside Windows: list the SDK's include directories first"
#  endif
#else
#  include "imessage.h"
#endif
