// Design: nnU-Net's sliding-window prediction (`predict_sliding_window_return_logits` and helpers in
// nnunetv2/inference/predict_from_raw_data.py + sliding_window_prediction.py; research §4), reproduced in its
// arithmetic so that the fp16 logits match:
// - pad (acvl_utils `pad_nd_image`, constant 0) the patch axes up to the patch size, diff // 2 before;
// - tile starts per axis: n = ceil((I − P) / (P · step)) + 1, positions round(i · (I − P)/(n − 1)) half to even;
//   tiles in the order axis 0 outermost, then 1, then 2 (2-D configurations: every slice, then in-plane tiles);
// - per tile, float32: p = net(x), then for every non-empty combination of the mirror axes (itertools order)
//   p += flip(net(flip(x))), p /= number of passes; p *= Gaussian (fp16 widened to float32);
// - accumulation in float16, as nnU-Net does even on the CPU: logits[tile] = fp16(fp32(logits) + p),
//   weights[tile] = fp16(weights + g); finally logits = fp16(logits / weights), padding removed; inf is an error.
// Fold ensembles add fold logits in fp16 and divide by the fold count in fp16 (`FoldEnsemble`).
// Limits: batch size 1; tiles run one after another (the network parallelises inside).
public import ArrayCore
import CNNKernels

/// Settings of nnU-Net's sliding window.
public struct SlidingWindowOptions: Sendable, Equatable {
    /// Tile overlap step as a fraction of the patch, in (0, 1] (nnU-Net's `tile_step_size`, default 0.5).
    public var tileStep: Double
    /// Mirror axes for test-time augmentation (patch axes, e.g. [0, 1, 2]); empty: off.
    public var mirrorAxes: [Int]

    public init(tileStep: Double = 0.5, mirrorAxes: [Int] = []) {
        self.tileStep = tileStep
        self.mirrorAxes = mirrorAxes
    }
}

/// Sliding-window inference of one network over a preprocessed case.
public struct SlidingWindow: Sendable {
    public let patchSize: [Int]
    public let gaussian: GaussianMap
    public let options: SlidingWindowOptions

    /// - Throws: `NNUNetError.invalidInput` for a tile step outside (0, 1] or mirror axes outside the patch.
    public init(patchSize: [Int], options: SlidingWindowOptions = .init()) throws(NNUNetError) {
        guard options.tileStep > 0, options.tileStep <= 1 else {
            throw NNUNetError(.invalidInput, "tile step \(options.tileStep) must be in (0, 1]")
        }
        guard options.mirrorAxes.allSatisfy({ (0..<patchSize.count).contains($0) }),
            Set(options.mirrorAxes).count == options.mirrorAxes.count
        else {
            throw NNUNetError(
                .invalidInput, "mirror axes \(options.mirrorAxes) do not fit a \(patchSize.count)-D patch")
        }
        self.patchSize = patchSize
        self.options = options
        gaussian = try GaussianMap(patchSize: patchSize)
    }

    /// nnU-Net's `compute_steps_for_sliding_window` for one axis (image ≥ patch).
    public static func steps(imageSize: Int, patchSize: Int, tileStep: Double) -> [Int] {
        let target = Double(patchSize) * tileStep
        let count = Int((Double(imageSize - patchSize) / target).rounded(.up)) + 1
        guard count > 1 else { return [0] }
        let actual = Double(imageSize - patchSize) / Double(count - 1)
        return (0..<count).map { Int((actual * Double($0)).rounded(.toNearestOrEven)) }
    }

    /// Padding `(before, after)` of each spatial axis of a `[s0, s1, s2]` case (only the patch axes).
    public func padding(shape: [Int]) -> [(before: Int, after: Int)] {
        let offset = shape.count - patchSize.count
        return shape.indices.map { axis in
            guard axis >= offset else { return (0, 0) }
            let difference = max(0, patchSize[axis - offset] - shape[axis])
            return (difference / 2, difference - difference / 2)
        }
    }

    /// Tile boxes (start per spatial axis of the padded case; the size is the patch, 1 along the slice axis of
    /// 2-D configurations) in nnU-Net's order.
    public func tiles(paddedShape: [Int]) -> [[Int]] {
        if patchSize.count == 3 {
            let s = (0..<3).map {
                Self.steps(imageSize: paddedShape[$0], patchSize: patchSize[$0], tileStep: options.tileStep)
            }
            return s[0].flatMap { a in s[1].flatMap { b in s[2].map { c in [a, b, c] } } }
        }
        let s = (0..<2).map {
            Self.steps(imageSize: paddedShape[$0 + 1], patchSize: patchSize[$0], tileStep: options.tileStep)
        }
        return (0..<paddedShape[0]).flatMap { d in s[0].flatMap { b in s[1].map { c in [d, b, c] } } }
    }

    /// Tile extent per spatial axis of the case (3 entries).
    var tileExtent: [Int] { patchSize.count == 3 ? patchSize : [1] + patchSize }

    /// Runs `network` (input `[C, patch...]` → logits `[K, patch...]`) over `data` (`[C, s0, s1, s2]`) and
    /// returns nnU-Net's fp16 logits `[K, s0, s1, s2]`. `progress(done, total)` is called after each tile.
    /// - Throws: the network's errors; `NNUNetError.invalidInput` for a malformed case, a network output of the
    ///   wrong shape, or an infinite aggregated logit (fp16 overflow, as nnU-Net reports it).
    public func predictLogits(
        _ data: NDArray<Float>, classCount: Int,
        network: (NDArray<Float>) throws(NNUNetError) -> NDArray<Float>,
        progress: ((Int, Int) -> Void)? = nil
    ) throws(NNUNetError) -> NDArray<Float16> {
        guard data.rank == 4, data.shape.allSatisfy({ $0 > 0 }), classCount > 0 else {
            throw NNUNetError(.invalidInput, "case shape \(data.shape) should be [channels, s0, s1, s2], non-empty")
        }
        let channels = data.shape[0]
        let shape = Array(data.shape.dropFirst())
        let pads = padding(shape: shape)
        let padded = zip(shape, pads).map { $0 + $1.before + $1.after }
        let voxels = padded.reduce(1, *)
        guard classCount.multipliedReportingOverflow(by: voxels).partialValue <= 1 << 34 else {
            throw NNUNetError(.limitExceeded, "logit buffer \(classCount) × \(padded) is too large")
        }
        let input = Self.padded(data, pads: pads, to: padded)
        var logits = [Float16](repeating: 0, count: classCount * voxels)
        var weights = [Float16](repeating: 0, count: voxels)
        let boxes = tiles(paddedShape: padded)
        let extent = tileExtent
        let tileVoxels = extent.reduce(1, *)
        let gaussian = self.gaussian.weights.map { Float($0) }
        for (done, start) in boxes.enumerated() {
            let tile = TileBox(start: start, extent: extent, shape: padded)
            let x = NDArray(
                uncheckedShape: [channels] + patchSize, elements: tile.gather(input.elements, channels: channels))
            var p = try predictWithMirroring(x, network: network)
            guard p.shape == [classCount] + patchSize else {
                throw NNUNetError(
                    .invalidInput, "the network returned \(p.shape), expected \([classCount] + patchSize)")
            }
            for k in 0..<classCount {
                for v in 0..<tileVoxels { p.elements[k * tileVoxels + v] *= gaussian[v] }
            }
            tile.accumulate(p.elements, into: &logits, weights: &weights, gaussian: gaussian)
            progress?(done + 1, boxes.count)
        }
        return try Self.normalised(logits, weights: weights, classCount: classCount, padded: padded, pads: pads)
    }

    /// p = net(x); p += flip(net(flip(x, axes)), axes) for every non-empty axis combination; p /= passes.
    func predictWithMirroring(
        _ x: NDArray<Float>, network: (NDArray<Float>) throws(NNUNetError) -> NDArray<Float>
    ) throws(NNUNetError) -> NDArray<Float> {
        var p = try network(x)
        let combinations = Self.combinations(options.mirrorAxes.map { $0 + 1 })
        guard !combinations.isEmpty else { return p }
        for axes in combinations {
            let flippedOutput = Self.flipped(try network(Self.flipped(x, axes: axes)), axes: axes)
            guard flippedOutput.shape == p.shape else {
                throw NNUNetError(.invalidInput, "mirrored prediction has shape \(flippedOutput.shape), not \(p.shape)")
            }
            for index in p.elements.indices { p.elements[index] += flippedOutput.elements[index] }
        }
        let passes = Float(combinations.count + 1)
        for index in p.elements.indices { p.elements[index] /= passes }
        return p
    }

    /// `[c for i in range(n) for c in itertools.combinations(axes, i + 1)]`.
    static func combinations(_ axes: [Int]) -> [[Int]] {
        func choose(_ k: Int, from start: Int) -> [[Int]] {
            guard k > 0 else { return [[]] }
            guard start < axes.count else { return [] }
            return (start..<axes.count).flatMap { i in choose(k - 1, from: i + 1).map { [axes[i]] + $0 } }
        }
        return (1...max(1, axes.count)).flatMap { choose($0, from: 0) }.filter { !$0.isEmpty }
    }

    /// The array reversed along each of `axes` (array axes).
    static func flipped(_ array: NDArray<Float>, axes: [Int]) -> NDArray<Float> {
        var elements = array.elements
        var scratch = elements
        for axis in axes {
            let n = array.shape[axis]
            let inner = array.shape[(axis + 1)...].reduce(1, *)
            let outer = array.shape[..<axis].reduce(1, *)
            for o in 0..<outer {
                for i in 0..<n {
                    let source = (o * n + (n - 1 - i)) * inner, target = (o * n + i) * inner
                    for e in 0..<inner { scratch[target + e] = elements[source + e] }
                }
            }
            swap(&elements, &scratch)
        }
        return NDArray(uncheckedShape: array.shape, elements: elements)
    }

    /// `data` zero-padded to `padded` (before-padding per axis as given).
    static func padded(
        _ data: NDArray<Float>, pads: [(before: Int, after: Int)], to padded: [Int]
    ) -> NDArray<Float> {
        let shape = Array(data.shape.dropFirst())
        if shape == padded { return data }
        let channels = data.shape[0]
        var elements = [Float](repeating: 0, count: channels * padded.reduce(1, *))
        for c in 0..<channels {
            for a in 0..<shape[0] {
                for b in 0..<shape[1] {
                    let source = ((c * shape[0] + a) * shape[1] + b) * shape[2]
                    let target =
                        ((c * padded[0] + a + pads[0].before) * padded[1] + b + pads[1].before) * padded[2]
                        + pads[2].before
                    for e in 0..<shape[2] { elements[target + e] = data.elements[source + e] }
                }
            }
        }
        return NDArray(uncheckedShape: [channels] + padded, elements: elements)
    }

    /// logits / weights in fp16 (computed in float32, rounded once), padding removed.
    static func normalised(
        _ logits: [Float16], weights: [Float16], classCount: Int, padded: [Int],
        pads: [(before: Int, after: Int)]
    ) throws(NNUNetError) -> NDArray<Float16> {
        let shape = zip(padded, pads).map { $0 - $1.before - $1.after }
        let voxels = padded.reduce(1, *)
        var output = [Float16]()
        output.reserveCapacity(classCount * shape.reduce(1, *))
        for k in 0..<classCount {
            for a in 0..<shape[0] {
                for b in 0..<shape[1] {
                    let row = ((a + pads[0].before) * padded[1] + b + pads[1].before) * padded[2] + pads[2].before
                    for c in 0..<shape[2] {
                        let value = Float16(Float(logits[k * voxels + row + c]) / Float(weights[row + c]))
                        guard !value.isInfinite else {
                            throw NNUNetError(
                                .invalidInput,
                                "an aggregated logit overflowed float16 (class \(k)), as nnU-Net would report")
                        }
                        output.append(value)
                    }
                }
            }
        }
        return NDArray(uncheckedShape: [classCount] + shape, elements: output)
    }
}

/// One tile's position inside the padded case.
struct TileBox {
    var start: [Int]
    var extent: [Int]
    var shape: [Int]

    /// Linear index (in one channel) of the first voxel of each tile row.
    private func rows(_ body: (_ rowInTile: Int, _ rowInCase: Int) -> Void) {
        var row = 0
        for a in 0..<extent[0] {
            for b in 0..<extent[1] {
                body(row, ((start[0] + a) * shape[1] + start[1] + b) * shape[2] + start[2])
                row += 1
            }
        }
    }

    /// The tile's voxels of every channel, `[C, extent...]` row-major.
    func gather(_ elements: [Float], channels: Int) -> [Float] {
        let voxels = shape.reduce(1, *), width = extent[2]
        var tile = [Float]()
        tile.reserveCapacity(channels * extent.reduce(1, *))
        for c in 0..<channels {
            rows { _, rowInCase in
                let base = c * voxels + rowInCase
                tile.append(contentsOf: elements[base..<(base + width)])
            }
        }
        return tile
    }

    /// logits[tile] = fp16(fp32(logits) + p); weights[tile] = fp16(weights + g) (`g` the fp16 Gaussian as
    /// Float, exact); the rounding is CNNKernels' `organa_half_accumulate`.
    func accumulate(_ p: [Float], into logits: inout [Float16], weights: inout [Float16], gaussian: [Float]) {
        let voxels = shape.reduce(1, *), width = extent[2], tileVoxels = extent.reduce(1, *)
        let classes = p.count / tileVoxels
        p.withUnsafeBufferPointer { p in
            gaussian.withUnsafeBufferPointer { g in
                Self.halfBits(&logits) { logits in
                    Self.halfBits(&weights) { weights in
                        rows { rowInTile, rowInCase in
                            for k in 0..<classes {
                                organa_half_accumulate(
                                    logits + k * voxels + rowInCase,
                                    p.baseAddress! + k * tileVoxels + rowInTile * width,
                                    width)
                            }
                            organa_half_accumulate(weights + rowInCase, g.baseAddress! + rowInTile * width, width)
                        }
                    }
                }
            }
        }
    }

    /// The IEEE binary16 bits of `values`, for the C kernel.
    private static func halfBits(_ values: inout [Float16], _ body: (UnsafeMutablePointer<UInt16>) -> Void) {
        values.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: UInt16.self) { body($0.baseAddress!) }
        }
    }
}

/// nnU-Net's fold ensemble: fold logits added in fp16, divided by the fold count in fp16 (research §4.9).
public struct FoldEnsemble: Sendable {
    public private(set) var sum: NDArray<Float16>?
    public private(set) var count = 0

    public init() {}

    /// Adds one fold's logits.
    /// - Throws: `NNUNetError.invalidInput` when the shape differs from the first fold's.
    public mutating func add(_ logits: NDArray<Float16>) throws(NNUNetError) {
        count += 1
        guard var total = sum else {
            sum = logits
            return
        }
        guard total.shape == logits.shape else {
            throw NNUNetError(.invalidInput, "fold logits \(logits.shape) differ from the first fold's \(total.shape)")
        }
        sum = nil
        for index in total.elements.indices {
            total.elements[index] = Float16(Float(total.elements[index]) + Float(logits.elements[index]))
        }
        sum = total
    }

    /// The averaged logits (the single fold's, unchanged, when there is one).
    public func average() -> NDArray<Float16>? {
        guard var total = sum else { return nil }
        guard count > 1 else { return total }
        let divisor = Float(count)
        for index in total.elements.indices { total.elements[index] = Float16(Float(total.elements[index]) / divisor) }
        return total
    }
}
