// glibc's allocator controls (malloc_trim, mallinfo2), which the Glibc module does not import.
#include <malloc.h>
