#!/usr/bin/python3
"""Downloads a file from a kompart FileService with Python's grpcio, knowing the service
only from the descriptor set the build writes (packages/protocol/descriptors/kompart.binpb).

    download_probe.py HOST:PORT DESCRIPTORS SHA256 OUT

Writes the chunks, in order, to OUT and prints the header as JSON on stdout. A failed call
prints {"code": ..., "message": ...} and exits 3.
"""
import json
import sys

import grpc
from google.protobuf import json_format

from grpc_probe import message_classes


def main(argv):
    if len(argv) != 5:
        raise SystemExit(__doc__)
    target, descriptors, sha256, out = argv[1:]
    request_class, response_class = message_classes(descriptors, "kompart.v1.DownloadRequest", "kompart.v1.DownloadResponse")
    with grpc.insecure_channel(target) as channel:
        download = channel.unary_stream(
            "/kompart.v1.FileService/Download",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        header = None
        try:
            with open(out, "wb") as sink:
                for message in download(request_class(sha256=sha256), timeout=60):
                    if message.HasField("header"):
                        header = json_format.MessageToDict(message.header)
                    elif message.HasField("chunk"):
                        sink.write(message.chunk)
        except grpc.RpcError as error:
            print(json.dumps({"code": error.code().name, "message": error.details()}))
            return 3
    print(json.dumps({"header": header}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
