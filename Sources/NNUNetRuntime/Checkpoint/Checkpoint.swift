import ArrayCore
import Foundation

/// A trained nnU-Net checkpoint (`fold_N/checkpoint_final.pth`) read without Python: the PyTorch zip archive,
/// its pickle (strictly, see `Unpickler`), and the raw tensor storages, which are only read when asked for.
public struct Checkpoint: Sendable {
    /// `trainer_name`, e.g. `nnUNetTrainer`.
    public var trainerName: String?
    /// `init_args['configuration']`, e.g. `3d_fullres`.
    public var configuration: String?
    /// `inference_allowed_mirroring_axes`; nil when absent or None (no test-time mirroring).
    public var mirroringAxes: [Int]?
    /// `current_epoch`.
    public var epoch: Int?
    /// Names of all tensors in `network_weights`, in checkpoint order (aliases included).
    public let weightNames: [String]

    private let archive: ZipArchive
    private let prefix: String
    private let tensors: [String: TensorReference]

    /// Largest tensor accepted, in elements.
    public static let maximumTensorElements = 1 << 31

    /// Reads a checkpoint file (memory-mapped).
    public static func load(_ path: String) throws(NNUNetError) -> Checkpoint {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw NNUNetError(.io, "cannot read checkpoint \(path): \(error.localizedDescription)", path: path)
        }
        do {
            return try Checkpoint(archive: data)
        } catch {
            throw error.at(path)
        }
    }

    /// Parses the bytes of a `.pth` file.
    public init(archive bytes: Data) throws(NNUNetError) {
        archive = try ZipArchive(bytes)
        // torch names the inner folder after the file stem at save time: find `<folder>/data.pkl`.
        let pickles = archive.members.filter { $0.name.hasSuffix("/data.pkl") || $0.name == "data.pkl" }
        guard pickles.count == 1, let pickle = pickles.first else {
            throw NNUNetError(
                .invalidCheckpoint,
                "the archive holds \(pickles.count) data.pkl members (expected one): not a torch.save file")
        }
        prefix = String(pickle.name.dropLast("data.pkl".count))
        if let order = archive.member(named: prefix + "byteorder") {
            let text = String(decoding: try archive.data(of: order), as: UTF8.self)
            guard text == "little" else {
                throw NNUNetError(
                    .invalidCheckpoint, "storages are stored \(text)-endian; only little-endian is supported")
            }
        }
        let root = try Unpickler.parse([UInt8](try archive.data(of: pickle)))
        guard case .dict = root else {
            throw NNUNetError(.invalidCheckpoint, "the checkpoint's top-level object is a \(root.kindName), not a dict")
        }
        guard case .dict(let weights)? = root["network_weights"] ?? root["state_dict"] else {
            throw NNUNetError(.invalidCheckpoint, "the checkpoint has no \"network_weights\" dict")
        }
        var names: [String] = []
        var tensors: [String: TensorReference] = [:]
        for (key, value) in weights.entries {
            guard case .string(let name) = key, case .tensor(let tensor) = value else {
                throw NNUNetError(
                    .invalidCheckpoint, "network_weights entry \(key.kindName) → \(value.kindName) is not name → tensor"
                )
            }
            names.append(name)
            tensors[name] = tensor
        }
        weightNames = names
        self.tensors = tensors
        if case .string(let name)? = root["trainer_name"] { trainerName = name }
        if case .string(let name)? = root["init_args"]?["configuration"] { configuration = name }
        if case .int(let value)? = root["current_epoch"] { epoch = value }
        mirroringAxes = try Self.axes(root["inference_allowed_mirroring_axes"])
    }

    private static func axes(_ value: PickleValue?) throws(NNUNetError) -> [Int]? {
        let items: [PickleValue]
        switch value {
        case .none?, nil: return nil
        case .tuple(let tuple)?: items = tuple
        case .list(let list)?: items = list.items
        case let other?:
            throw NNUNetError(.invalidCheckpoint, "inference_allowed_mirroring_axes is a \(other.kindName)")
        }
        return try items.map { (item) throws(NNUNetError) -> Int in
            guard case .int(let axis) = item, (0..<3).contains(axis) else {
                throw NNUNetError(.invalidCheckpoint, "inference_allowed_mirroring_axes holds \(item.kindName)")
            }
            return axis
        }
    }

    /// The shape of tensor `name`, or nil when the checkpoint has no such tensor.
    public func shape(of name: String) -> [Int]? {
        tensors[name]?.shape
    }

    /// Reads tensor `name` as float32 (converting float16, bfloat16 and float64 storages).
    public func weight(_ name: String) throws(NNUNetError) -> NDArray<Float> {
        guard let tensor = tensors[name] else {
            throw NNUNetError(.weightMismatch, "the checkpoint has no tensor \"\(name)\"")
        }
        let storage = tensor.storage
        let member = prefix + "data/" + storage.key
        guard let entry = archive.member(named: member) else {
            throw NNUNetError(.invalidCheckpoint, "tensor \"\(name)\" refers to the missing archive member \(member)")
        }
        let itemSize = storage.dtype.byteCount
        guard storage.elementCount <= entry.size / itemSize else {
            throw NNUNetError(
                .invalidCheckpoint,
                "storage \(member) holds \(entry.size) bytes, fewer than its \(storage.elementCount) \(storage.dtype) elements"
            )
        }
        let count: Int
        do {
            count = try Shape.elementCount(tensor.shape)
        } catch {
            throw NNUNetError(.invalidCheckpoint, "tensor \"\(name)\" has an invalid shape: \(error.message)")
        }
        guard count <= Self.maximumTensorElements, tensor.offset >= 0, tensor.strides.allSatisfy({ $0 >= 0 }) else {
            throw NNUNetError(.invalidCheckpoint, "tensor \"\(name)\" has a bad size, offset or stride")
        }
        // Highest element the view touches must lie inside the storage (overflow-checked).
        var last = tensor.offset
        for (extent, step) in zip(tensor.shape, tensor.strides) where extent > 0 {
            let (span, overflow1) = (extent - 1).multipliedReportingOverflow(by: step)
            let (sum, overflow2) = last.addingReportingOverflow(span)
            guard !overflow1, !overflow2 else {
                throw NNUNetError(.invalidCheckpoint, "tensor \"\(name)\" view overflows")
            }
            last = sum
        }
        guard count == 0 || last < storage.elementCount else {
            throw NNUNetError(
                .invalidCheckpoint,
                "tensor \"\(name)\" (shape \(tensor.shape), offset \(tensor.offset), stride \(tensor.strides)) reads past its storage of \(storage.elementCount) elements"
            )
        }
        guard storage.dtype.isFloatingPoint else {
            throw NNUNetError(.invalidCheckpoint, "tensor \"\(name)\" has non-float type \(storage.dtype.rawValue)")
        }
        let range = try archive.verifiedRange(of: entry)
        var values = [Float](repeating: 0, count: count)
        archive.bytes.withUnsafeBytes { raw in
            let base = UnsafeRawBufferPointer(rebasing: raw[range])
            StridedCopy.gather(
                from: base, dtype: storage.dtype, offset: tensor.offset, shape: tensor.shape, strides: tensor.strides,
                into: &values)
        }
        return NDArray(uncheckedShape: tensor.shape, elements: values)  // count was computed from this shape
    }
}

/// Copies a strided view of a raw little-endian storage into a contiguous float32 array.
enum StridedCopy {
    static func gather(
        from raw: UnsafeRawBufferPointer, dtype: TensorDType, offset: Int, shape: [Int], strides: [Int],
        into values: inout [Float]
    ) {
        guard !values.isEmpty else { return }
        let rank = shape.count
        var index = [Int](repeating: 0, count: rank)
        for position in 0..<values.count {
            var element = offset
            for axis in 0..<rank { element += index[axis] * strides[axis] }
            values[position] = load(raw, dtype, element)
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
    }

    private static func load(_ raw: UnsafeRawBufferPointer, _ dtype: TensorDType, _ element: Int) -> Float {
        let byte = element * dtype.byteCount
        switch dtype {
        case .float32:
            return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: byte, as: UInt32.self)))
        case .float16:
            return Float(
                Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: byte, as: UInt16.self))))
        case .bfloat16:
            let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: byte, as: UInt16.self))
            return Float(bitPattern: UInt32(bits) << 16)
        case .float64:
            return Float(
                Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: byte, as: UInt64.self))))
        default:
            return 0
        }
    }
}
