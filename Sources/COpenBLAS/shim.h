// OpenBLAS (Debian libopenblas-dev): cblas_sgemm and the thread/core queries.
#include <cblas.h>
