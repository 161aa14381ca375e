/* abi_layout.c - the C view of the ABI: structure layouts and vtable slots are pinned at
   compile time by abi_layout.h; at run time the library's objects and results are read
   through those layouts. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include "abi_layout.h"

int main(void)
{
    if (!test_dir_create("imsg-abi-c"))
        return 1;
    abi_runtime_checks();
    test_dir_remove();
    return check_report("abi_layout.c");
}
