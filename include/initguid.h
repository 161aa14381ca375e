/*
 * initguid.h - switches the rest of the translation unit to defining, instead of declaring,
 * the GUIDs named with DEFINE_GUID and DEFINE_OLEGUID (see mapiguid.h), as the SDK's
 * header of this name does. Deliberately without an include guard.
 */
#if defined(_WIN32)
#  if defined(__GNUC__) || defined(__clang__)
#    include_next <initguid.h>
#  else
#    error "imessage's include/ provides <initguid.h> only outside Windows: list the SDK's include directories first"
#  endif
#else
#  ifndef INITGUID
#    define INITGUID
#  endif
#  include "imsg_ole.h"
#endif
