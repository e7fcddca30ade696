/* gjob_journal — graph jobs in the master's journal. */
#include "master/gjob_int.h"

#include "master/core_int.h"

void herd_gjob__journal(struct herd_core *c, struct gjob *j)
{
    (void)c;
    (void)j;
}
