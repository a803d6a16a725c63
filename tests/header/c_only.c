/* The public header must compile alone as strict C11. */
#include <lockstep/lockstep.h>

int lk_header_c_probe(void);

int lk_header_c_probe(void)
{
    lk_detect_opts o;
    (void)o;
    return LK_VERSION_MAJOR + (int)LK_OK;
}
