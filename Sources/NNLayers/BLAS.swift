import ArrayCore
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

    /// `C[m×n] = op(A)·B + beta·C` (row-major, `op(A)` = A or Aᵀ), split by columns of B and C across the
    /// `concurrentChunks` workers, each chunk one single-threaded OpenBLAS call. OpenBLAS's own threads busy-wait
    /// in `sched_yield` between calls and took the cores from the direct kernels and im2col that run between
    /// GEMMs (docs/BENCHMARKS.md, "OpenBLAS threads"), so OpenBLAS is kept at one thread.
    static func multiply(
        transposeA: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
        ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = singleThreaded
        let (sharedB, sharedC) = (UncheckedSendable(b), UncheckedSendable(c))
        // ≥ 256 columns per chunk: below that a call's packing overhead outweighs the second core.
        concurrentChunks(count: n, minimumChunk: 256) { columns in
            cblas_sgemm(
                CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, CblasNoTrans, Int32(m), Int32(columns.count),
                Int32(k), 1, a, Int32(lda), sharedB.value + columns.lowerBound, Int32(ldb), beta,
                sharedC.value + columns.lowerBound, Int32(ldc))
        }
    }

    /// `C_i[m×n] = A_i[m×k] · B_i[k×n]` for i < count (row-major, A_i = a + i·strideA, …), the products spread
    /// over the `concurrentChunks` workers, each one single-threaded OpenBLAS call.
    static func multiplyEach(
        count: Int, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, strideA: Int, b: UnsafePointer<Float>,
        strideB: Int, c: UnsafeMutablePointer<Float>, strideC: Int
    ) {
        _ = singleThreaded
        let (sharedA, sharedB, sharedC) = (UncheckedSendable(a), UncheckedSendable(b), UncheckedSendable(c))
        concurrentChunks(count: count) { items in
            for i in items {
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                    sharedA.value + i * strideA, Int32(k), sharedB.value + i * strideB, Int32(n), 0,
                    sharedC.value + i * strideC, Int32(n))
            }
        }
    }

    /// OpenBLAS set to one thread, once per process.
    private static let singleThreaded: Void = openblas_set_num_threads(1)
}
