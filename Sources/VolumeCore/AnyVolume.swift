public import ArrayCore

/// A volume whose voxel type is known only at run time (what a file reader returns).
public enum AnyVolume: Sendable {
    case uint8(Volume<UInt8>)
    case int8(Volume<Int8>)
    case uint16(Volume<UInt16>)
    case int16(Volume<Int16>)
    case uint32(Volume<UInt32>)
    case int32(Volume<Int32>)
    case uint64(Volume<UInt64>)
    case int64(Volume<Int64>)
    case float32(Volume<Float>)
    case float64(Volume<Double>)

    /// Wraps a typed volume.
    public init<V: Scalar>(_ volume: Volume<V>) {
        // The cast always succeeds for the case matching `V.kind`.
        switch V.kind {
        case .uint8: self = .uint8(volume as! Volume<UInt8>)
        case .int8: self = .int8(volume as! Volume<Int8>)
        case .uint16: self = .uint16(volume as! Volume<UInt16>)
        case .int16: self = .int16(volume as! Volume<Int16>)
        case .uint32: self = .uint32(volume as! Volume<UInt32>)
        case .int32: self = .int32(volume as! Volume<Int32>)
        case .uint64: self = .uint64(volume as! Volume<UInt64>)
        case .int64: self = .int64(volume as! Volume<Int64>)
        case .float32: self = .float32(volume as! Volume<Float>)
        case .float64: self = .float64(volume as! Volume<Double>)
        }
    }

    /// Run-time voxel type.
    public var kind: ScalarKind {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        }
    }

    public var geometry: VolumeGeometry { apply(GeometryOf()) }
    public var size: SIMD3<Int> { apply(SizeOf()) }

    /// The volume with voxels converted to `V` (C-cast semantics, clamped; identity when the type matches).
    public func converted<V: Scalar>(to type: V.Type) -> Volume<V> { apply(ConvertTo<V>()) }

    /// Smallest and largest voxel value as `Double`, or `nil` when empty.
    public var valueRange: (min: Double, max: Double)? { apply(RangeOf()) }

    /// Runs a generic operation on the typed volume inside.
    public func apply<O: VolumeOperation>(_ operation: O) -> O.Result {
        switch self {
        case .uint8(let v): operation.run(v)
        case .int8(let v): operation.run(v)
        case .uint16(let v): operation.run(v)
        case .int16(let v): operation.run(v)
        case .uint32(let v): operation.run(v)
        case .int32(let v): operation.run(v)
        case .uint64(let v): operation.run(v)
        case .int64(let v): operation.run(v)
        case .float32(let v): operation.run(v)
        case .float64(let v): operation.run(v)
        }
    }
}

/// A function generic over the voxel type, for `AnyVolume.apply`.
public protocol VolumeOperation {
    associatedtype Result
    func run<V: Scalar>(_ volume: Volume<V>) -> Result
}

private struct GeometryOf: VolumeOperation {
    func run<V: Scalar>(_ volume: Volume<V>) -> VolumeGeometry { volume.geometry }
}

private struct SizeOf: VolumeOperation {
    func run<V: Scalar>(_ volume: Volume<V>) -> SIMD3<Int> { volume.size }
}

private struct ConvertTo<T: Scalar>: VolumeOperation {
    func run<V: Scalar>(_ volume: Volume<V>) -> Volume<T> { volume.converted(to: T.self) }
}

private struct RangeOf: VolumeOperation {
    func run<V: Scalar>(_ volume: Volume<V>) -> (min: Double, max: Double)? {
        volume.voxels.range().map { ($0.min.doubleValue, $0.max.doubleValue) }
    }
}
