/// Per-structure defaults: how gently to smooth and which colour to draw, by canonical structure name.
public enum StructureStyle {
    /// Tubular structures (2–5 voxels across) that windowed sinc with Slicer's 20 + 40·f iterations
    /// shrinks (research/meshing.md: ureter −5.8 % at 40 iterations); they keep 20 iterations.
    public static func isTubular(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["artery", "vein", "ureter", "vessel", "aorta", "vena", "ivc", "portal", "iliac"].contains {
            lower.contains($0)
        }
    }

    /// Smoothing for a structure: Slicer's mapping of `factor`, with 20 iterations for tubes.
    public static func smoothing(
        for name: String, factor: Double, method: SmoothingOptions.Method = .windowedSinc
    ) throws(MeshingError) -> SmoothingOptions {
        var options = try SmoothingOptions.slicer(factor: factor, iterationsOverride: isTubular(name) ? 20 : nil)
        if factor > 0 && method != .windowedSinc {
            options.method = method
            options.iterations = method == .taubin ? 20 : 10
        }
        return options
    }

    /// Display colour (linear RGB in 0...1) of a canonical structure, or a stable fallback by label.
    public static func color(for name: String, label: Int) -> SIMD3<Double> {
        let table: [String: SIMD3<Double>] = [
            "kidney": SIMD3(0.72, 0.45, 0.35), "tumor": SIMD3(0.85, 0.80, 0.30),
            "artery": SIMD3(0.85, 0.20, 0.20), "vein": SIMD3(0.25, 0.35, 0.80),
            "ureter": SIMD3(0.95, 0.75, 0.20), "fat": SIMD3(0.95, 0.90, 0.60),
            "cyst": SIMD3(0.55, 0.80, 0.85), "stone": SIMD3(0.90, 0.90, 0.90),
        ]
        if let color = table[name.lowercased()] { return color }
        let palette: [SIMD3<Double>] = [
            SIMD3(0.50, 0.68, 0.30), SIMD3(0.70, 0.50, 0.75), SIMD3(0.35, 0.70, 0.70), SIMD3(0.85, 0.55, 0.30),
            SIMD3(0.60, 0.60, 0.60), SIMD3(0.40, 0.50, 0.85),
        ]
        return palette[((label % palette.count) + palette.count) % palette.count]
    }
}
