import COpenBLAS

/// The BLAS library behind the convolutions (OpenBLAS).
///
/// OpenBLAS picks its kernels when the library loads, from the CPU or from the `OPENBLAS_CORETYPE` environment
/// variable; on CPUs newer than the library (e.g. Zen 5 with Debian's 0.3.21) it falls back to slow generic
/// kernels unless that variable is set (`SkylakeX`), which only the process environment can do (see the
/// executable and `docs/design/0002-network-runtime.md`).
public enum BLAS {
    /// The kernel family OpenBLAS chose, e.g. `SkylakeX` or `Haswell`.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Threads OpenBLAS uses inside one GEMM.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }
}
