/* abi_layout.cpp - the same layout assertions and run-time checks as abi_layout.c,
   compiled as C++. CINTERFACE selects the C form of the interfaces (lpVtbl structs), as
   it does with Microsoft's headers, so the vtable structs can be measured. */
#define CINTERFACE
#include "abi_layout.h"

int main()
{
    if (!test_dir_create("imsg-abi-cpp"))
        return 1;
    abi_runtime_checks();
    test_dir_remove();
    return check_report("abi_layout.cpp");
}
