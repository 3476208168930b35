import ArrayCore
import OrganaTestSupport
import Testing

@Suite struct NDArrayTests {
    @Test func rowMajorIndexingPutsLastAxisFastest() throws {
        let array = try NDArray(shape: [2, 3, 4], elements: Array(0..<24))
        #expect(array[[0, 0, 1]] == 1)
        #expect(array[[0, 1, 0]] == 4)
        #expect(array[[1, 0, 0]] == 12)
        #expect(array.strides == [12, 4, 1])
        #expect(array.linearIndex([1, 2, 3]) == 23)
    }

    @Test(arguments: [[-1, 2], [Int.max, 2], [1 << 32, 1 << 32]])
    func invalidShapesThrow(_ shape: [Int]) {
        #expect(throws: ArrayError.self) { try Shape.elementCount(shape) }
    }

    @Test func elementCountMismatchNamesTheShape() {
        let error = #expect(throws: ArrayError.self) { try NDArray(shape: [2, 2], elements: [1, 2, 3]) }
        #expect(error?.code == .elementCountMismatch)
        #expect(error?.message.contains("[2, 2]") == true)
    }

    @Test func byteCountChecksOverflow() throws {
        #expect(try Shape.byteCount([512, 512, 300], bytesPerElement: 2) == 157_286_400)
        #expect(throws: ArrayError.self) { try Shape.byteCount([1 << 31, 1 << 31], bytesPerElement: 4) }
    }

    @Test func reductionsIgnoreNaNAndSumPairwise() throws {
        let values: [Float] = [3, .nan, -2, 7, 0.5]
        let array = try NDArray(shape: [5], elements: values)
        let range = try #require(array.range())
        #expect(range.min == -2 && range.max == 7)
        let ones = NDArray(shape: [1000, 1000], repeating: Float(0.1))
        // Naive float32 summation would drift far from 1e5; pairwise summation in Double stays within 1e-6.
        #expect(abs(ones.sum() - 1_000_000 * Double(Float(0.1))) < 1e-6)
        #expect(NDArray(shape: [0], repeating: Int16(0)).range() == nil)
        #expect(try NDArray(shape: [4], elements: [UInt8(1), 0, 1, 1]).count(of: 1) == 3)
    }

    @Test(arguments: [
        (3.7, Int16(3)), (-3.7, -3), (1e9, .max), (-1e9, .min), (.nan, 0), (.infinity, .max),
    ])
    func conversionTruncatesAndClamps(_ value: Double, _ expected: Int16) {
        #expect(Int16(clampingTruncating: value) == expected)
    }

    @Test func conversionOfUInt64ExtremesClamps() {
        #expect(UInt64(clampingTruncating: 1e30) == .max)
        #expect(Int64(clampingTruncating: 9.3e18) == .max)
        #expect(UInt8(clampingTruncating: -4) == 0)
    }

    @Test func convertedKeepsShape() throws {
        let array = try NDArray(shape: [2, 2], elements: [Float(1.9), -1.9, 300, -300])
        let converted = array.converted(to: Int8.self)
        #expect(converted.shape == [2, 2])
        #expect(converted.elements == [1, -1, 127, -128])
    }

    @Test(arguments: [1, 2, 7])
    func concurrentChunksCoverEveryIndexOnce(_ workers: Int) {
        let previous = ParallelSettings.workerCount
        ParallelSettings.workerCount = workers
        defer { ParallelSettings.workerCount = previous }
        var hits = [Int](repeating: 0, count: 1000)
        hits.withUnsafeMutableBufferPointer { buffer in
            concurrentChunks(count: 1000, minimumChunk: 10) { range in
                for index in range { buffer[index] += 1 }
            }
        }
        #expect(hits.allSatisfy { $0 == 1 })
    }

    @Test func seededGeneratorIsReproducible() {
        var a = SeededGenerator(seed: 42)
        var b = SeededGenerator(seed: 42)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        var c = SeededGenerator(seed: 43)
        #expect(first != (0..<5).map { _ in c.next() })
    }
}
