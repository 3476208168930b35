// Design: the job's memory estimate from array sizes alone. Resident for the whole job: the process itself,
// the CT (Int16), the merged label map, the fat candidate and the per-structure masks (uint8 each, bounded by
// the grid). A model step on M region voxels, N target voxels and C classes peaks either while it
// preprocesses (the float32 copy of the region 4M, the non-zero mask M, the resampled and normalised input
// 8N) or while it predicts and exports (the normalised input 4N, the aggregated fp16 logits and weights
// 2CN + 2N, export 15M: one class resampled to the region (float64 inside VolumeCore's resampler, float32
// out, fp16 kept), the fp16 running maximum, the labels and their uncropped copy, and the network's
// largest activations for one tile: patch voxels × first-stage features × 4 bytes × 6 for input, output,
// im2col panel, norm and skip copies). A shared group also holds its resampled input (4N) while its models
// run. The estimate is an upper bound when models crop to the kidney box (it assumes the whole image).

/// Array-size estimates of the job's memory.
enum MemoryModel {
    /// The process itself (code, runtime, OpenBLAS buffers) before any array: 48 MiB measured with
    /// `organa run` on small phantoms. (The export term was set from a 512 × 512 × 150 run: estimated 649
    /// MiB with 8M, measured 885 MiB.)
    static let processBytes = 48 << 20

    static func residentBytes(image: ImageInfo) -> Int {
        let v = image.voxelCount
        return processBytes + 2 * v + v + v + v
    }

    static func stepBytes(_ model: PlannedModel, image: ImageInfo, patchSize: [Int], features: [Int]) -> Int {
        let n = model.targetShape.reduce(1, *)
        let m = image.voxelCount
        let c = model.classCount
        let patch = patchSize.reduce(1, *)
        let network = patch * (features.first ?? 32) * 4 * 6
        let preprocessing = 4 * m + m + 8 * n
        let prediction = 4 * n + 2 * c * n + 2 * n + 15 * m + network
        return max(preprocessing, prediction)
    }

    static func sharedInputBytes(_ model: PlannedModel) -> Int { 4 * model.targetShape.reduce(1, *) }

}

/// Bytes in MiB or GiB, for messages and reports.
public func describeBytes(_ bytes: Int) -> String {
    let mib = Double(bytes) / 1_048_576
    return mib >= 1024 ? "\(format(mib / 1024)) GiB" : "\(format(mib)) MiB"
}
