// The public header must compile alone as C++ (extern "C" guard).
#include <lockstep/lockstep.h>

int lk_header_cxx_probe();

int lk_header_cxx_probe()
{
    lk_detect_opts o = lk_detect_opts();
    (void)o;
    return LK_VERSION_MAJOR + static_cast<int>(LK_OK);
}
