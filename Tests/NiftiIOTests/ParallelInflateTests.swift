import ArrayCore
import CZlib
import Foundation
import OrganaTestSupport
import Testing
import VolumeCore

@testable import NiftiIO

/// The two-thread inflater (`ParallelGzip` + `Inflater`) against zlib's own compressor: its bytes equal the
/// input for every kind of stream, it falls back (never guesses) when the heuristics do not hold, and bad data
/// end in a thrown `NiftiError`, never a crash or wrong bytes.
@Suite struct ParallelInflateTests {
    /// Bytes the tests treat as the NIfTI header (they land in the header buffer, not the output).
    static let headerCount = 352

    // MARK: Inputs

    /// A seeded generator (SplitMix64).
    struct Seeded {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func gaussian() -> Double {
            let u = Double(next() >> 11) / Double(1 << 53) + 1e-300
            let v = Double(next() >> 11) / Double(1 << 53)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
    }

    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = Seeded(state: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }

    /// int16 slices like a CT: -1024 outside a disc, tissue with Gaussian noise inside.
    static func ctLike(slices: Int, side: Int = 256, seed: UInt64 = 1) -> [UInt8] {
        var generator = Seeded(state: seed)
        var values = [Int16]()
        values.reserveCapacity(slices * side * side)
        let center = Double(side) / 2
        for _ in 0..<slices {
            for y in 0..<side {
                for x in 0..<side {
                    let r = ((Double(x) - center) * (Double(x) - center) + (Double(y) - center) * (Double(y) - center))
                        .squareRoot()
                    if r > center {
                        values.append(-1024)
                    } else {
                        let base = r < center * 0.6 ? 40.0 : -1000.0
                        values.append(Int16(base + 20 * generator.gaussian()))
                    }
                }
            }
        }
        return values.withUnsafeBytes { Array($0) }
    }

    /// Long repeats: a random block copied with changes, so matches cross any split point and reach far back.
    static func repetitive(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = Seeded(state: seed)
        let unit = randomBytes(3000, seed: seed)
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        while bytes.count < count {
            var piece = unit
            for _ in 0..<4 { piece[Int(generator.next() % 3000)] = UInt8(truncatingIfNeeded: generator.next()) }
            bytes += piece
        }
        return Array(bytes.prefix(count))
    }

    /// Random bytes with long stretches copied from 20-32 KiB back, interleaved with fresh bytes.
    static func farMatches(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = Seeded(state: seed)
        var bytes = randomBytes(40000, seed: seed)
        while bytes.count < count {
            if generator.next() % 2 == 0 {
                let distance = 20000 + Int(generator.next() % 12000)
                let length = 50 + Int(generator.next() % 400)
                for _ in 0..<length { bytes.append(bytes[bytes.count - distance]) }
            } else {
                for _ in 0..<(20 + Int(generator.next() % 200)) {
                    bytes.append(UInt8(truncatingIfNeeded: generator.next()))
                }
            }
        }
        return Array(bytes.prefix(count))
    }

    /// One gzip member written by zlib (`deflateInit2`, gzip wrapper) at `level` with `strategy`.
    static func zlibGzip(_ data: [UInt8], level: Int32, strategy: Int32 = Z_DEFAULT_STRATEGY) -> [UInt8] {
        var stream = z_stream()
        let initialized = deflateInit2_(
            &stream, level, Z_DEFLATED, 15 + 16, 8, strategy, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(initialized == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))) + 64)
        var data = data
        let produced = data.withUnsafeMutableBytes { input in
            output.withUnsafeMutableBytes { out in
                stream.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(out.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END)
                return out.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }

    // MARK: Running

    /// Runs `ParallelGzip.inflate` on `compressed` (whose content is `original`) and returns its outcome
    /// and whether header and voxels came out equal. `wait`: thread 1 never takes the whole stream while
    /// thread 2 is still searching (so that slow debug builds and busy machines still test both threads).
    static func parallel(_ compressed: [UInt8], original: [UInt8], wait: Bool = true) -> (ParallelGzip.Outcome, Bool) {
        let outputCount = original.count - headerCount
        var header = [UInt8](repeating: 0, count: headerCount)
        let output = UnsafeMutableRawBufferPointer.allocate(
            byteCount: outputCount + ParallelGzip.slackBytes(outputCount: outputCount) + headerCount,
            alignment: 64)
        defer { output.deallocate() }
        let outcome = compressed.withUnsafeBytes { input in
            header.withUnsafeMutableBytes { headerBytes in
                ParallelGzip.inflate(
                    input, header: headerBytes, output: output, outputCount: outputCount, waitForSecond: wait)
            }
        }
        let equal =
            header[...] == original[0..<headerCount]
            && original.withUnsafeBytes { memcmp($0.baseAddress! + headerCount, output.baseAddress!, outputCount) == 0 }
        return (outcome, equal)
    }

    /// `Gzip.inflateVolume` (two threads, falling back to libdeflate): the bytes, or the error.
    static func volume(_ compressed: [UInt8], original: [UInt8]) throws -> Bool {
        let outputCount = original.count - headerCount
        var header = [UInt8](repeating: 0, count: headerCount)
        let output = UnsafeMutableRawBufferPointer.allocate(
            byteCount: outputCount + ParallelGzip.slackBytes(outputCount: outputCount) + headerCount,
            alignment: 64)
        defer { output.deallocate() }
        let complete = try compressed.withUnsafeBytes { input in
            try header.withUnsafeMutableBytes { headerBytes in
                try Gzip.inflateVolume(input, header: headerBytes, output: output, outputCount: outputCount)
            }
        }
        return complete && header[...] == original[0..<headerCount]
            && original.withUnsafeBytes { memcmp($0.baseAddress! + headerCount, output.baseAddress!, outputCount) == 0 }
    }

    // MARK: Tests

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var level: Int32
        var strategy: Int32 = Z_DEFAULT_STRATEGY
        var make: @Sendable () -> [UInt8]
        var testDescription: String { "\(name) level \(level)" }
    }

    static let cases: [Case] =
        [1, 6, 9].flatMap { (level: Int32) -> [Case] in
            [
                Case(name: "random", level: level) { randomBytes(3 << 20, seed: 7) },
                Case(name: "ct-like", level: level) { ctLike(slices: 40) },
                Case(name: "repetitive", level: level) { repetitive(6 << 20, seed: 3) },
                Case(name: "far matches", level: level) { farMatches(5 << 20, seed: 5) },
            ]
        } + [
            Case(name: "stored blocks", level: 0) { ctLike(slices: 20) },
            Case(name: "fixed Huffman", level: 6, strategy: Z_FIXED) { ctLike(slices: 20) },
            Case(name: "Huffman only", level: 6, strategy: Z_HUFFMAN_ONLY) { ctLike(slices: 20) },
            Case(name: "run-length", level: 6, strategy: Z_RLE) { ctLike(slices: 20) },
            Case(name: "zeros", level: 6) { [UInt8](repeating: 0, count: 8 << 20) },
        ]

    @Test(arguments: cases)
    func outputEqualsZlibInput(_ testCase: Case) throws {
        let original = testCase.make()
        let compressed = Self.zlibGzip(original, level: testCase.level, strategy: testCase.strategy)
        let (outcome, equal) = Self.parallel(compressed, original: original)
        if case .failed = outcome {
            // A fallback is allowed; the caller's path must then still give the right bytes.
            #expect(try Self.volume(compressed, original: original))
        } else {
            #expect(equal, "\(outcome)")
        }
    }

    @Test func ctLikeDataAreInflatedOnTwoThreads() throws {
        let original = Self.ctLike(slices: 120)  // 15 MiB
        let compressed = Self.zlibGzip(original, level: 6)
        let (outcome, equal) = Self.parallel(compressed, original: original)
        #expect(outcome == .parallel)
        #expect(equal)
        // Without waiting, thread 1 may take the whole stream; the bytes are right either way.
        let (_, equalWithoutWaiting) = Self.parallel(compressed, original: original, wait: false)
        #expect(equalWithoutWaiting)
    }

    @Test func noBlockHeaderToFindMeansOneThreadOrFallback() throws {
        // Stored and fixed-Huffman streams have no dynamic header for thread 2 to find.
        for strategy in [Z_DEFAULT_STRATEGY, Z_FIXED] {
            let original = Self.ctLike(slices: 40)
            let compressed = Self.zlibGzip(original, level: strategy == Z_FIXED ? 6 : 0, strategy: strategy)
            let (outcome, equal) = Self.parallel(compressed, original: original)
            #expect(outcome != .parallel)
            if outcome == .oneThread { #expect(equal) }
        }
    }

    @Test(arguments: [0, 1, 100, 4096, 1 << 17, (1 << 17) + 12345])
    func tinyAndSmallInputs(_ outputCount: Int) throws {
        let original = Self.randomBytes(Self.headerCount, seed: 11) + Self.repetitive(outputCount, seed: 2)
        let compressed = Self.zlibGzip(original, level: 6)
        #expect(try Self.volume(compressed, original: original))
        let (outcome, equal) = Self.parallel(compressed, original: original)
        if case .failed = outcome {} else { #expect(equal) }
    }

    @Test func corruptStreamsThrowNeverCrash() throws {
        let original = Self.ctLike(slices: 40)
        let compressed = Self.zlibGzip(original, level: 6)
        var generator = Seeded(state: 99)
        for trial in 0..<12 {
            var damaged = compressed
            // Damage inside the first half, the second half, or many places.
            let spots = trial % 3 == 2 ? 20 : 1
            for _ in 0..<spots {
                let range =
                    trial % 3 == 0 ? 100..<(compressed.count / 2) : (compressed.count / 2)..<(compressed.count - 8)
                let index = range.lowerBound + Int(generator.next() % UInt64(range.count))
                damaged[index] ^= UInt8(1 + generator.next() % 255)
            }
            let (outcome, _) = Self.parallel(damaged, original: original)
            #expect(outcome != .parallel && outcome != .oneThread || Self.sameAfterDamage(damaged, original))
            do {
                // `false`: the damaged stream holds more bytes than expected (the reader then streams with
                // zlib); `true` only when the damage changed nothing that libdeflate decodes.
                let equal = try Self.volume(damaged, original: original)
                #expect(!equal || Self.sameAfterDamage(damaged, original))
            } catch let error as NiftiError {
                #expect([.corruptCompression, .truncated].contains(error.code), "\(error)")
            }
        }
    }

    /// Seeded mutation fuzzing of the two-thread inflater: random byte changes, truncations and spliced
    /// copies at random split points. Whatever it accepts must be the original bytes (the CRC-32 and size are
    /// checked), everything else must be `.failed`; no crash, no read or write out of bounds (run it under
    /// `swift test --sanitize=address` with more iterations: ORGANA_FUZZ_ITERATIONS, default 60).
    @Test func mutatedStreamsAreRejectedOrExact() throws {
        let iterations = ProcessInfo.processInfo.environment["ORGANA_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 60
        let original = Self.ctLike(slices: 16, side: 224, seed: 11)
        let streams = [Self.zlibGzip(original, level: 6), Self.zlibGzip(original, level: 1)]
        for stream in streams {  // undamaged, both streams take the two-thread path: the fuzzing reaches it
            #expect(Self.parallel(stream, original: original).0 == .parallel)
        }
        var generator = Seeded(state: 2026)
        for trial in 0..<iterations {
            var damaged = streams[trial % 2]
            switch generator.next() % 4 {
            case 0:  // a few bytes changed anywhere
                for _ in 0..<(1 + generator.next() % 4) {
                    damaged[Int(generator.next() % UInt64(damaged.count))] ^= UInt8(1 + generator.next() % 255)
                }
            case 1:  // one bit flipped in the deflate data
                let index = 10 + Int(generator.next() % UInt64(damaged.count - 18))
                damaged[index] ^= UInt8(1) << (generator.next() % 8)
            case 2:  // cut short
                damaged = Array(damaged.prefix(Int(generator.next() % UInt64(damaged.count))))
            default:  // a run of bytes copied from elsewhere in the stream
                let length = 1 + Int(generator.next() % 64)
                let from = Int(generator.next() % UInt64(damaged.count - length))
                let to = Int(generator.next() % UInt64(damaged.count - length))
                damaged.replaceSubrange(to..<(to + length), with: damaged[from..<(from + length)])
            }
            let split = 0.2 + Double(generator.next() % 60) / 100
            let outcome = Self.parallelOutcome(damaged, original: original, split: split, wait: trial % 3 != 0)
            #expect(outcome.accepted == false || outcome.equal, "trial \(trial): accepted wrong bytes")
        }
    }

    /// `ParallelGzip.inflate` at a given split: whether it accepted the stream, and whether the bytes match.
    static func parallelOutcome(
        _ compressed: [UInt8], original: [UInt8], split: Double, wait: Bool
    )
        -> (accepted: Bool, equal: Bool)
    {
        let outputCount = original.count - headerCount
        var header = [UInt8](repeating: 0, count: headerCount)
        let output = UnsafeMutableRawBufferPointer.allocate(
            byteCount: outputCount + ParallelGzip.slackBytes(outputCount: outputCount), alignment: 64)
        defer { output.deallocate() }
        let outcome = compressed.withUnsafeBytes { input in
            header.withUnsafeMutableBytes { headerBytes in
                ParallelGzip.inflate(
                    input, header: headerBytes, output: output, outputCount: outputCount, splitFraction: split,
                    waitForSecond: wait)
            }
        }
        if case .failed = outcome { return (false, false) }
        let equal =
            header[...] == original[0..<headerCount]
            && original.withUnsafeBytes { memcmp($0.baseAddress! + headerCount, output.baseAddress!, outputCount) == 0 }
        return (true, equal)
    }

    /// Whether libdeflate decodes `compressed` to `original` (damage that changes nothing is possible).
    static func sameAfterDamage(_ compressed: [UInt8], _ original: [UInt8]) -> Bool {
        var output = [UInt8](repeating: 0, count: original.count)
        let complete = try? compressed.withUnsafeBytes { input in
            try output.withUnsafeMutableBytes { try Gzip.inflateWhole(input, into: $0) }
        }
        return complete == true && output == original
    }

    @Test func truncatedStreamThrows() throws {
        let original = Self.ctLike(slices: 40)
        let compressed = Self.zlibGzip(original, level: 6)
        for keep in [compressed.count - 4, compressed.count / 2, compressed.count * 3 / 4] {
            let truncated = Array(compressed.prefix(keep))
            let (outcome, _) = Self.parallel(truncated, original: original)
            #expect(outcome != .parallel && outcome != .oneThread)
            #expect {
                try Self.volume(truncated, original: original)
            } throws: { error in
                [.corruptCompression, .truncated].contains((error as? NiftiError)?.code)
            }
        }
    }

    @Test func crcMismatchThrows() throws {
        let original = Self.ctLike(slices: 40)
        var compressed = Self.zlibGzip(original, level: 6)
        compressed[compressed.count - 8] ^= 0x55
        let (outcome, _) = Self.parallel(compressed, original: original)
        #expect(outcome != .parallel && outcome != .oneThread)
        #expect {
            try Self.volume(compressed, original: original)
        } throws: { error in
            (error as? NiftiError)?.code == .corruptCompression
        }
    }

    @Test func twoMembersFallBack() throws {
        // ISIZE of the last member disagrees with the total, so the parallel path does not even start; with a
        // first member of the right total size (the second empty) it starts and must not accept the result.
        let original = Self.ctLike(slices: 40)
        let half = original.count / 2
        let two = Self.zlibGzip(Array(original[..<half]), level: 6) + Self.zlibGzip(Array(original[half...]), level: 6)
        #expect(try Self.volume(two, original: original))
        let withEmpty = Self.zlibGzip(original, level: 6) + Self.zlibGzip([], level: 6)
        let (outcome, _) = Self.parallel(withEmpty, original: original)
        #expect(outcome != .parallel && outcome != .oneThread)
    }

    @Test func niftiReaderReadsAOneMemberFileOnTwoThreads() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let volume = try SyntheticVolumes.ct(size: SIMD3(256, 256, 48))  // 6 MiB of int16: one gzip member
        let path = folder.appendingPathComponent("ct.nii.gz").path
        try NiftiWriter.write(volume, to: path)
        // Rewrite as one zlib member (as SimpleITK writes) to be sure of the layout.
        let plain = try Gzip.inflateFile(path)
        try Data(Self.zlibGzip(plain, level: 6)).write(to: URL(fileURLWithPath: path))
        let image = try NiftiReader.read(path)
        #expect(image.volume.converted(to: Int16.self).voxels == volume.voxels)
    }
}

extension Gzip {
    /// The whole decompressed content of a gzip file (tests only).
    static func inflateFile(_ path: String) throws -> [UInt8] {
        let file = try InputFile(path: path)
        let stream = try GzipInputStream(file: file)
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try stream.read(into: $0) }
            bytes += chunk.prefix(count)
            if count < chunk.count { return bytes }
        }
    }
}
