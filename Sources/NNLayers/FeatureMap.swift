import ArrayCore

/// Feature maps are `NDArray<Float>` of shape `[C, D, H, W]` (3-D) or `[C, H, W]` (2-D), batch size one,
/// row-major like PyTorch's contiguous NCDHW/NCHW without the batch axis. Kernels treat a 2-D map as 3-D with
/// `D = 1`, so one implementation serves both.
struct Grid: Equatable {
    var channels: Int
    /// (D, H, W); D is 1 for 2-D maps.
    var size: (Int, Int, Int)
    /// 2 or 3.
    var rank: Int

    var voxels: Int { size.0 * size.1 * size.2 }

    init(channels: Int, size: (Int, Int, Int), rank: Int) {
        self.channels = channels
        self.size = size
        self.rank = rank
    }

    init(_ map: NDArray<Float>, layer: String) throws(NNLayersError) {
        switch map.rank {
        case 4: self.init(channels: map.shape[0], size: (map.shape[1], map.shape[2], map.shape[3]), rank: 3)
        case 3: self.init(channels: map.shape[0], size: (1, map.shape[1], map.shape[2]), rank: 2)
        default:
            throw NNLayersError(.invalidInput, "\(layer): input shape \(map.shape) is not [C, D, H, W] or [C, H, W]")
        }
    }

    /// The NDArray shape of a map with this grid.
    var shape: [Int] { rank == 3 ? [channels, size.0, size.1, size.2] : [channels, size.1, size.2] }

    static func == (lhs: Grid, rhs: Grid) -> Bool {
        lhs.channels == rhs.channels && lhs.size == rhs.size && lhs.rank == rhs.rank
    }
}

/// Spatial triples (z, y, x) from per-axis lists of 2 or 3 entries (2-D lists get a leading `pad`).
func triple(_ values: [Int], rank: Int, pad: Int) -> (Int, Int, Int) {
    rank == 3 ? (values[0], values[1], values[2]) : (pad, values[0], values[1])
}

/// Largest feature map a layer will allocate, in elements (16 GiB of float32).
let maximumMapElements = 1 << 32

/// A zero-filled feature map, failing cleanly when the size overflows or exceeds `maximumMapElements`.
func makeMap(_ grid: Grid, layer: String) throws(NNLayersError) -> NDArray<Float> {
    let count: Int
    do {
        count = try Shape.elementCount(grid.shape)
    } catch {
        throw NNLayersError(.sizeLimit, "\(layer): output shape \(grid.shape) is invalid: \(error.message)")
    }
    guard count <= maximumMapElements else {
        throw NNLayersError(.sizeLimit, "\(layer): output shape \(grid.shape) exceeds \(maximumMapElements) elements")
    }
    return NDArray(shape: grid.shape, repeating: 0)
}
