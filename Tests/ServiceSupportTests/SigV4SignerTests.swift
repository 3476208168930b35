import Foundation
import Testing

@testable import ServiceSupport

/// SigV4 signing and S3 request addressing, offline.
@Suite struct SigV4SignerTests {
    /// AWS's documented example "GET Object" (bucket examplebucket, key test.txt, Range bytes=0-9, empty body,
    /// 2013-05-24T00:00:00Z, the documentation's example key pair), from "Signature Calculations for the
    /// Authorization Header: Transferring Payload in a Single Chunk":
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
    @Test func awsDocumentedGetObjectExample() {
        let signer = SigV4Signer(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "us-east-1")
        let headers = signer.sign(
            method: "GET", path: "/test.txt", query: [],
            headers: [("host", "examplebucket.s3.amazonaws.com"), ("range", "bytes=0-9")],
            payloadHash: SigV4Signer.emptyPayload, date: Date(timeIntervalSince1970: 1_369_353_600))
        let values = Dictionary(uniqueKeysWithValues: headers)
        #expect(values["x-amz-date"] == "20130524T000000Z")
        #expect(
            values["authorization"]
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test(arguments: [
        ("jobs/a-b_c.d~e/x.nii.gz", true, "jobs/a-b_c.d~e/x.nii.gz"),
        ("case 001/ct+mask #1:é", true, "case%20001/ct%2Bmask%20%231%3A%C3%A9"),
        ("a/b", false, "a%2Fb"),
        ("a//./../b", true, "a//./../b"),
    ])
    func encodingKeepsOnlyUnreservedBytes(text: String, keepSlash: Bool, expected: String) {
        #expect(SigV4Signer.encode(text, keepSlash: keepSlash) == expected)
    }

    static func client(_ addressing: S3Configuration.Addressing, endpoint: String) -> S3Client {
        S3Client(
            configuration: S3Configuration(
                endpoint: URL(string: endpoint)!, bucket: "organa-test", addressing: addressing, accessKeyID: "id",
                secretAccessKey: "secret"))
    }

    /// The URL and the signed `host` (port included, unless it is the scheme's default) of each addressing.
    @Test func pathStyleAndVirtualHostAddresses() {
        let path = Self.client(.path, endpoint: "http://127.0.0.1:8333").address(
            "jobs/a b/x", query: [("uploadId", "x/y")])
        #expect(path.url == "http://127.0.0.1:8333/organa-test/jobs/a%20b/x?uploadId=x%2Fy")
        #expect(path.host == "127.0.0.1:8333")
        let virtual = Self.client(.virtualHost, endpoint: "http://s3.organa.test:8333").address(
            "jobs/x", query: [])
        #expect(virtual.url == "http://organa-test.s3.organa.test:8333/jobs/x")
        #expect(virtual.host == "organa-test.s3.organa.test:8333")
        let bucket = Self.client(.virtualHost, endpoint: "https://s3.example.com:443").address(nil, query: [])
        #expect(bucket.url == "https://organa-test.s3.example.com/" && bucket.host == "organa-test.s3.example.com")
    }

    @Test func configurationProblemsAreListedTogether() {
        var configuration = S3Configuration(
            endpoint: URL(string: "ftp://x")!, bucket: "No_Such", accessKeyID: "", secretAccessKey: "")
        configuration.partBytes = 1024
        let problems = configuration.problems
        #expect(problems.count == 5, "\(problems)")
        #expect(problems.contains { $0.contains("ORGANA_S3_SECRET_ACCESS_KEY") })
    }
}

@Suite struct XMLTextTests {
    @Test func entitiesAndCharacterReferencesAreDecoded() {
        let xml = "<Key>a&amp;b&#39;c&#x22;d&lt;&gt;&bogus;&</Key><Key>2</Key>"
        #expect(XMLText.all("Key", in: xml) == ["a&b'c\"d<>&bogus;&", "2"])
    }
}
