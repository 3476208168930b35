/// Encoders from meshes to file bytes (OBJ, binary STL, binary PLY).
public enum MeshEncoders {
    /// The OBJ header: producer and `SPACE=` frame, as Slicer writes it (`# ... SPACE=LPS`).
    public static func objHeader(frame: WorldFrame, materialLibrary: String?) -> [UInt8] {
        var sink = ByteSink()
        sink.append("# Organa mesh export; units mm\n# SPACE=\(frame.rawValue)\n")
        if let library = materialLibrary { sink.append("mtllib \(library)\n") }
        return sink.bytes
    }

    /// One OBJ object: `o name`, optional `usemtl`, `v` (3 decimals), `vn` (4 decimals) and `f a//a b//b c//c`
    /// with indices offset by `firstVertex` (the vertices already written to the file).
    public static func objObject(
        name: String, mesh: TriangleMesh, firstVertex: Int, material: String? = nil
    ) -> [UInt8] {
        var sink = ByteSink()
        sink.bytes.reserveCapacity(mesh.positions.count * 60 + mesh.triangles.count * 40)
        sink.append("o \(objName(name))\n")
        if let material { sink.append("usemtl \(objName(material))\n") }
        for p in mesh.positions {
            sink.append("v ")
            sink.append(p.x, decimals: 3)
            sink.append(byte: 32)
            sink.append(p.y, decimals: 3)
            sink.append(byte: 32)
            sink.append(p.z, decimals: 3)
            sink.append(byte: 10)
        }
        let hasNormals = mesh.normals.count == mesh.positions.count && !mesh.normals.isEmpty
        if hasNormals {
            for n in mesh.normals {
                sink.append("vn ")
                sink.append(n.x, decimals: 4)
                sink.append(byte: 32)
                sink.append(n.y, decimals: 4)
                sink.append(byte: 32)
                sink.append(n.z, decimals: 4)
                sink.append(byte: 10)
            }
        }
        for t in mesh.triangles {
            sink.append("f")
            for v in [t.x, t.y, t.z] {
                let index = Int(v) + firstVertex + 1
                sink.append(byte: 32)
                sink.append(integer: index)
                if hasNormals {
                    sink.append("//")
                    sink.append(integer: index)
                }
            }
            sink.append(byte: 10)
        }
        return sink.bytes
    }

    /// A `.mtl` material per structure (diffuse colour; ambient a third of it as Slicer writes).
    public static func mtl(_ materials: [(name: String, color: SIMD3<Double>)]) -> [UInt8] {
        var sink = ByteSink()
        sink.append("# Organa materials\n")
        for (name, color) in materials {
            sink.append("newmtl \(objName(name))\n")
            let c = SIMD3<Float>(color)
            sink.append("Ka ")
            for (index, value) in [c.x / 3, c.y / 3, c.z / 3].enumerated() {
                if index > 0 { sink.append(byte: 32) }
                sink.append(value, decimals: 4)
            }
            sink.append("\nKd ")
            for (index, value) in [c.x, c.y, c.z].enumerated() {
                if index > 0 { sink.append(byte: 32) }
                sink.append(value, decimals: 4)
            }
            sink.append("\nKs 0.1000 0.1000 0.1000\nNs 20\nd 1\nillum 2\n")
        }
        return sink.bytes
    }

    /// Binary STL of one mesh (80-byte header naming the frame, facet normals from the triangles).
    public static func stl(name: String, mesh: TriangleMesh, frame: WorldFrame) -> [UInt8] {
        var sink = ByteSink()
        sink.bytes.reserveCapacity(84 + 50 * mesh.triangles.count)
        var header = Array("Organa \(objName(name)) SPACE=\(frame.rawValue) mm".utf8.prefix(80))
        header += [UInt8](repeating: 32, count: 80 - header.count)
        sink.bytes += header
        sink.appendLittleEndian(UInt32(mesh.triangles.count))
        for t in mesh.triangles {
            let a = mesh.positions[Int(t.x)]
            let b = mesh.positions[Int(t.y)]
            let c = mesh.positions[Int(t.z)]
            var n = crossProduct(b - a, c - a)
            let length = (n * n).sum().squareRoot()
            if length > 0 { n /= length }
            for p in [n, a, b, c] {
                sink.appendLittleEndian(p.x)
                sink.appendLittleEndian(p.y)
                sink.appendLittleEndian(p.z)
            }
            sink.appendLittleEndian(UInt16(0))
        }
        return sink.bytes
    }

    /// Binary little-endian PLY of one mesh, normals included when present.
    public static func ply(name: String, mesh: TriangleMesh, frame: WorldFrame) -> [UInt8] {
        var sink = ByteSink()
        let hasNormals = !mesh.normals.isEmpty && mesh.normals.count == mesh.positions.count
        sink.append(
            "ply\nformat binary_little_endian 1.0\ncomment Organa \(objName(name)) SPACE=\(frame.rawValue) mm\n")
        sink.append("element vertex \(mesh.positions.count)\nproperty float x\nproperty float y\nproperty float z\n")
        if hasNormals { sink.append("property float nx\nproperty float ny\nproperty float nz\n") }
        sink.append("element face \(mesh.triangles.count)\nproperty list uchar int vertex_indices\nend_header\n")
        for (index, p) in mesh.positions.enumerated() {
            sink.appendLittleEndian(p.x)
            sink.appendLittleEndian(p.y)
            sink.appendLittleEndian(p.z)
            if hasNormals {
                let n = mesh.normals[index]
                sink.appendLittleEndian(n.x)
                sink.appendLittleEndian(n.y)
                sink.appendLittleEndian(n.z)
            }
        }
        for t in mesh.triangles {
            sink.append(byte: 3)
            sink.appendLittleEndian(Int32(t.x))
            sink.appendLittleEndian(Int32(t.y))
            sink.appendLittleEndian(Int32(t.z))
        }
        return sink.bytes
    }

    /// A name safe for OBJ/MTL statements: whitespace replaced by `_`.
    static func objName(_ name: String) -> String {
        let cleaned = String(name.map { $0.isWhitespace || $0.isNewline ? "_" : $0 })
        return cleaned.isEmpty ? "structure" : cleaned
    }
}
