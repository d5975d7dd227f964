#!/usr/bin/python3
"""A grpcurl-like client that knows nothing about kompart but what server reflection says.

It shares no code with kompart: Python's grpcio, the reflection and health protos from
Debian's grpc-proto package, compiled at start by grpc_tools, and a strict protobuf
DescriptorPool that must accept every descriptor the server sends.

    grpc_probe.py HOST:PORT list
    grpc_probe.py HOST:PORT describe SYMBOL
    grpc_probe.py HOST:PORT call SERVICE/METHOD JSON [-H 'key: value']...

Output is JSON on stdout. A failed call prints {"code": ..., "message": ...} and exits 3.
"""
import json
import os
import sys
import tempfile

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

PROTO_ROOT = "/usr/share/grpc-proto"


def load_reflection_types():
    """Compiles the reflection proto to a descriptor set and builds its message classes
    in a pool of their own (the generated-module route would clash with grpcio's package)."""
    from grpc_tools import protoc

    out = os.path.join(tempfile.mkdtemp(prefix="grpc-probe-"), "reflection.pb")
    source = "grpc/reflection/v1/reflection.proto"
    if protoc.main(["protoc", f"-I{PROTO_ROOT}", f"--descriptor_set_out={out}", source]) != 0:
        raise SystemExit(f"cannot compile {source}")
    return message_classes(out, "grpc.reflection.v1.ServerReflectionRequest", "grpc.reflection.v1.ServerReflectionResponse")


def message_classes(descriptor_set_path, *names):
    """The message classes of `names`, from a descriptor set file loaded into a pool of its own."""
    pool = descriptor_pool.DescriptorPool()
    with open(descriptor_set_path, "rb") as handle:
        for proto in descriptor_pb2.FileDescriptorSet.FromString(handle.read()).file:
            pool.Add(proto)
    return tuple(message_class(pool.FindMessageTypeByName(name)) for name in names)


class Reflector:
    def __init__(self, channel):
        self.request_class, response_class = load_reflection_types()
        self.call = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=self.request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        self.pool = descriptor_pool.DescriptorPool()
        self.loaded = set()

    def ask(self, **request):
        responses = list(self.call(iter([self.request_class(**request)]), timeout=10))
        if len(responses) != 1:
            raise SystemExit(f"expected one reflection answer, got {len(responses)}")
        answer = responses[0]
        if answer.HasField("error_response"):
            raise SystemExit(f"reflection error: {answer.error_response.error_message}")
        return answer

    def services(self):
        return sorted(s.name for s in self.ask(list_services="").list_services_response.service)

    def load_symbol(self, symbol):
        answer = self.ask(file_containing_symbol=symbol)
        self.add_files(answer.file_descriptor_response.file_descriptor_proto)

    def add_files(self, blobs):
        files = {}
        for blob in blobs:
            proto = descriptor_pb2.FileDescriptorProto.FromString(blob)
            files[proto.name] = proto
        # Dependencies first; ask the server for any the answer did not include.
        def add(name):
            if name in self.loaded:
                return
            proto = files.get(name)
            if proto is None:
                proto = descriptor_pb2.FileDescriptorProto.FromString(
                    self.ask(file_by_filename=name).file_descriptor_response.file_descriptor_proto[0]
                )
            for dependency in proto.dependency:
                add(dependency)
            self.pool.Add(proto)  # strict: raises on anything inconsistent
            self.loaded.add(name)

        for name in files:
            add(name)


def describe(pool, symbol):
    try:
        service = pool.FindServiceByName(symbol)
        return {
            "service": service.full_name,
            "methods": [
                {
                    "name": m.name,
                    "input": m.input_type.full_name,
                    "output": m.output_type.full_name,
                    "client_streaming": m.client_streaming if hasattr(m, "client_streaming") else None,
                    "server_streaming": m.server_streaming if hasattr(m, "server_streaming") else None,
                }
                for m in service.methods
            ],
        }
    except KeyError:
        pass
    try:
        message = pool.FindMessageTypeByName(symbol)
        return {"message": message.full_name, "fields": [{"name": f.name, "number": f.number} for f in message.fields]}
    except KeyError:
        pass
    enum = pool.FindEnumTypeByName(symbol)
    return {"enum": enum.full_name, "values": [v.name for v in enum.values]}


def message_class(descriptor):
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(descriptor.file.pool).GetPrototype(descriptor)


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    target, command, rest = argv[1], argv[2], argv[3:]
    channel = grpc.insecure_channel(target)
    reflector = Reflector(channel)
    if command == "list":
        print(json.dumps(reflector.services()))
        return 0
    if command == "describe":
        reflector.load_symbol(rest[0])
        print(json.dumps(describe(reflector.pool, rest[0])))
        return 0
    if command == "call":
        method_path, body = rest[0], rest[1]
        headers = []
        for i, arg in enumerate(rest[2:]):
            if arg == "-H":
                key, value = rest[2 + i + 1].split(":", 1)
                headers.append((key.strip().lower(), value.strip()))
        service_name, method_name = method_path.rsplit("/", 1)
        reflector.load_symbol(service_name)
        method = reflector.pool.FindServiceByName(service_name).FindMethodByName(method_name)
        request_class = message_class(method.input_type)
        response_class = message_class(method.output_type)
        request = json_format.Parse(body, request_class())
        stub = channel.unary_unary(
            f"/{service_name}/{method_name}",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        try:
            response = stub(request, metadata=headers, timeout=10)
        except grpc.RpcError as error:
            trailers = {k: v for k, v in (error.trailing_metadata() or [])}
            print(json.dumps({
                "code": error.code().name,
                "message": error.details(),
                "has_status_details": "grpc-status-details-bin" in trailers,
            }))
            return 3
        print(json_format.MessageToJson(response, preserving_proto_field_name=False, indent=None))
        return 0
    raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
