// Surface extraction: discrete marching cubes on one label's padded bounding box.
//
// Algorithm: the label's voxels become a binary mask cropped to the label's bounding box plus one voxel of
// background on every side (so the surface is closed at the image border). Cubes between 2×2×2 voxel
// centres are classified against the generated case table (`MarchingCubesTable`); vertices sit at the
// midpoints of grid edges whose two voxels differ (VTK's vtkDiscreteFlyingEdges3D does the same), shared
// between cubes through two rolling slices of edge → vertex maps.
// Conventions: output positions are continuous voxel indices (i, j, k) of the full label map; triangles
// wind counter-clockwise seen from outside in index space (a right-handed frame), so the index-space
// signed volume is positive. The world transform (`TriangleMesh.transformedToWorld`) fixes mirroring.
// Limits: each label is meshed on its own, so two touching labels have coincident vertices on their common
// face but are not welded: their shared boundary matches exactly before smoothing and to within the
// smoothing displacement after it (no multi-label SurfaceNets yet).

public import ArrayCore
public import VolumeCore

/// Extracts closed surfaces of labels in a label map.
public enum SurfaceExtraction {
    /// The closed surface of `label` in `labelMap`, in voxel-index coordinates, computed on `box` (the
    /// label's bounding box) only. Voxels outside the map count as background.
    public static func surface<V: Scalar & FixedWidthInteger>(
        of label: V, in labelMap: Volume<V>, box: IndexBox
    ) -> TriangleMesh {
        let mask = paddedMask(of: label, in: labelMap, box: box)
        let offset = SIMD3<Float>(Float(box.lower.x - 1), Float(box.lower.y - 1), Float(box.lower.z - 1))
        return marchingCubes(mask: mask, size: box.size &+ 2, offset: offset)
    }

    /// The binary mask of `label` on `box` with one voxel of background on every side, `[z][y][x]`.
    @_specialize(where V == UInt8)
    @_specialize(where V == UInt16)
    @_specialize(where V == Int16)
    @_specialize(where V == Int32)
    static func paddedMask<V: Scalar & FixedWidthInteger>(
        of label: V, in labelMap: Volume<V>, box: IndexBox
    ) -> [UInt8] {
        let size = box.size &+ 2
        let full = labelMap.size
        var mask = [UInt8](repeating: 0, count: size.x * size.y * size.z)
        labelMap.voxels.elements.withUnsafeBufferPointer { voxels in
            mask.withUnsafeMutableBufferPointer { out in
                for k in 0..<box.size.z {
                    let z = box.lower.z + k
                    for j in 0..<box.size.y {
                        let y = box.lower.y + j
                        let source = (z * full.y + y) * full.x + box.lower.x
                        let target = ((k + 1) * size.y + (j + 1)) * size.x + 1
                        for i in 0..<box.size.x where voxels[source + i] == label {
                            out[target + i] = 1
                        }
                    }
                }
            }
        }
        return mask
    }

    /// Discrete marching cubes on a binary mask `[z][y][x]` of `size` whose outer layer is 0. Positions are
    /// mask indices plus `offset`.
    static func marchingCubes(mask: [UInt8], size: SIMD3<Int>, offset: SIMD3<Float>) -> TriangleMesh {
        let table = MarchingCubesTable.shared
        let nx = size.x
        let ny = size.y
        let plane = nx * ny
        var builder = MeshBuilder(offset: offset, nx: nx, plane: plane)
        // Vertex ids on x- and y-edges of slices k and k + 1 (two halves, swapped per slice) and on z-edges.
        var edgeIds = [Int32](repeating: -1, count: 5 * plane)
        var local = [UInt32](repeating: 0, count: 16)
        mask.withUnsafeBufferPointer { m in
            table.triangleVertices.withUnsafeBufferPointer { codes in
                edgeIds.withUnsafeMutableBufferPointer { ids in
                    local.withUnsafeMutableBufferPointer { local in
                        for k in 0..<(size.z - 1) {
                            builder.k = k
                            for j in 0..<(ny - 1) {
                                let r00 = k * plane + j * nx
                                let r10 = r00 + nx
                                let r01 = r00 + plane
                                let r11 = r01 + nx
                                for i in 0..<(nx - 1) {
                                    var pattern = Int(m[r00 + i]) | Int(m[r00 + i + 1]) << 1
                                    pattern |= Int(m[r10 + i]) << 2 | Int(m[r10 + i + 1]) << 3
                                    pattern |= Int(m[r01 + i]) << 4 | Int(m[r01 + i + 1]) << 5
                                    pattern |= Int(m[r11 + i]) << 6 | Int(m[r11 + i + 1]) << 7
                                    if pattern == 0 || pattern == 255 { continue }
                                    let first = Int(table.triangleStart[pattern])
                                    let last = Int(table.triangleStart[pattern + 1])
                                    var used: UInt16 = 0
                                    for t in first..<last where codes[t] < 12 { used |= 1 << UInt16(codes[t]) }
                                    while used != 0 {
                                        let e = used.trailingZeroBitCount
                                        used &= used - 1
                                        local[e] = builder.vertex(edge: e, i: i, j: j, ids: ids)
                                    }
                                    for (c, edges) in table.centroidEdges[pattern].enumerated() {
                                        local[12 + c] = builder.centroid(of: edges, local: local)
                                    }
                                    var t = first
                                    while t < last {
                                        builder.triangles.append(
                                            SIMD3(
                                                local[Int(codes[t])], local[Int(codes[t + 1])], local[Int(codes[t + 2])]
                                            ))
                                        t += 3
                                    }
                                }
                            }
                            // Slice k + 1 becomes the lower slice; clear the new upper slice and the z-edges.
                            builder.lowerHalf ^= 1
                            let upper = (builder.lowerHalf ^ 1) * plane
                            for s in 0..<plane {
                                ids[upper + s] = -1
                                ids[2 * plane + upper + s] = -1
                                ids[4 * plane + s] = -1
                            }
                        }
                    }
                }
            }
        }
        return TriangleMesh(positions: builder.positions, triangles: builder.triangles)
    }
}

/// Vertices and triangles of one extraction; edge → vertex ids live in one flat buffer:
/// x-edges `[0, 2·plane)`, y-edges `[2·plane, 4·plane)` (each two slice halves), z-edges `[4·plane, 5·plane)`.
private struct MeshBuilder {
    let offset: SIMD3<Float>
    let nx: Int
    let plane: Int
    var k = 0
    var lowerHalf = 0
    var positions: [SIMD3<Float>] = []
    var triangles: [SIMD3<UInt32>] = []

    init(offset: SIMD3<Float>, nx: Int, plane: Int) {
        self.offset = offset
        self.nx = nx
        self.plane = plane
    }

    @inline(__always)
    mutating func vertex(edge e: Int, i: Int, j: Int, ids: UnsafeMutableBufferPointer<Int32>) -> UInt32 {
        let rest = e & 3
        let slot: Int
        var delta: SIMD3<Float>
        switch e >> 2 {
        case 0:
            let (yb, zb) = (rest & 1, rest >> 1)
            slot = ((lowerHalf ^ zb) * plane) + (j + yb) * nx + i
            delta = SIMD3(0.5, Float(yb), Float(zb))
        case 1:
            let (xb, zb) = (rest & 1, rest >> 1)
            slot = 2 * plane + ((lowerHalf ^ zb) * plane) + j * nx + i + xb
            delta = SIMD3(Float(xb), 0.5, Float(zb))
        default:
            let (xb, yb) = (rest & 1, rest >> 1)
            slot = 4 * plane + (j + yb) * nx + i + xb
            delta = SIMD3(Float(xb), Float(yb), 0.5)
        }
        if ids[slot] < 0 {
            ids[slot] = Int32(positions.count)
            delta += SIMD3<Float>(Float(i), Float(j), Float(k)) + offset
            positions.append(delta)
        }
        return UInt32(ids[slot])
    }

    mutating func centroid(of edges: [UInt8], local: UnsafeMutableBufferPointer<UInt32>) -> UInt32 {
        var sum = SIMD3<Float>(0, 0, 0)
        for e in edges { sum += positions[Int(local[Int(e)])] }
        positions.append(sum / Float(edges.count))
        return UInt32(positions.count - 1)
    }
}
