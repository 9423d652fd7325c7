#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/) from real artefacts.

    python3 tools/fuzz-seeds.py [BUILD_DIR]      (default: build; needs tributary and
                                                  tributary-model built there)

A tiny checkpoint and adapter from `tributary-model model init`, a GGUF file written here by
hand (every metadata type, F32, F16, Q8_0 and Q4_0 tensors), a dev node's transactions of every
kind a Datanet's life makes (raw bytes, JSON, and their proofs), key files of both versions,
Datanet files of each type, and OpenAI request bodies. Standard library only. Deterministic
except for what the node signs (keys are random), which does not matter for seeds.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
TRIB = os.path.join(BUILD, "tributary")
MODEL = os.path.join(BUILD, "tributary-model")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def run(args, env=None, check=True):
    r = subprocess.run(args, env=env, capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.exit(f"{' '.join(args)} failed: {r.stdout}{r.stderr}")
    return r.stdout


def model_seeds(tmp):
    m = os.path.join(tmp, "model")
    run([MODEL, "model", "init", "--out", m, "--layers", "1", "--hidden", "8", "--heads", "2",
         "--kv-heads", "1", "--intermediate", "16", "--vocab", "300", "--max-positions", "32",
         "--chat"])
    a = os.path.join(tmp, "adapter")
    run([MODEL, "model", "init-adapter", "--base", m, "--out", a, "--rank", "2"])
    for name in os.listdir(m):
        path = os.path.join(m, name)
        if name.endswith(".safetensors"):
            put("safetensors", "model.safetensors", open(path, "rb").read())
        elif name == "config.json":
            put("openai_request", "config.json", open(path, "rb").read())
        elif name == "tokenizer.json":
            put("tokenizer_json", "tokenizer.json", open(path, "rb").read())
    for name in os.listdir(a):
        path = os.path.join(a, name)
        if name.endswith(".safetensors"):
            put("safetensors", "adapter.safetensors", open(path, "rb").read())
        elif name == "adapter_config.json":
            put("openai_request", "adapter_config.json", open(path, "rb").read())


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_seed():
    # GGUF v3: header, metadata of every value type, tensor infos, aligned data.
    T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64 = range(13)
    kv = [
        ("general.architecture", T_STR, gguf_string("llama")),
        ("general.alignment", T_U32, struct.pack("<I", 32)),
        ("llama.block_count", T_U32, struct.pack("<I", 1)),
        ("llama.embedding_length", T_U64, struct.pack("<Q", 32)),
        ("llama.attention.head_count", T_U16, struct.pack("<H", 2)),
        ("llama.attention.head_count_kv", T_U8, struct.pack("<B", 1)),
        ("llama.rope.freq_base", T_F32, struct.pack("<f", 10000.0)),
        ("llama.attention.layer_norm_rms_epsilon", T_F64, struct.pack("<d", 1e-5)),
        ("llama.context_length", T_I32, struct.pack("<i", 64)),
        ("x.i8", T_I8, struct.pack("<b", -1)),
        ("x.i16", T_I16, struct.pack("<h", -2)),
        ("x.i64", T_I64, struct.pack("<q", -3)),
        ("tokenizer.ggml.add_bos_token", T_BOOL, b"\x01"),
        ("tokenizer.ggml.model", T_STR, gguf_string("gpt2")),
        ("tokenizer.ggml.tokens", T_ARR,
         struct.pack("<IQ", T_STR, 3) + gguf_string("a") + gguf_string("b") + gguf_string("ab")),
        ("tokenizer.ggml.token_type", T_ARR, struct.pack("<IQ", T_I32, 3) + struct.pack("<3i", 1, 1, 3)),
        ("tokenizer.ggml.merges", T_ARR, struct.pack("<IQ", T_STR, 1) + gguf_string("a b")),
    ]
    # name, type id, dims, data
    GT_F32, GT_F16, GT_Q4_0, GT_Q8_0 = 0, 1, 2, 8
    q8 = struct.pack("<e", 0.5) + bytes(range(32))
    q4 = struct.pack("<e", 0.25) + bytes(range(16))
    tensors = [
        ("token_embd.weight", GT_F32, [4], struct.pack("<4f", 1, -2, 3.5, 0)),
        ("a.f16", GT_F16, [4], struct.pack("<4e", 1, -2, 3.5, 0)),
        ("a.q8_0", GT_Q8_0, [32], q8),
        ("a.q4_0", GT_Q4_0, [32], q4),
    ]
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
    for key, t, val in kv:
        out += gguf_string(key) + struct.pack("<I", t) + val
    offset, blobs = 0, []
    for name, t, dims, data in tensors:
        out += gguf_string(name) + struct.pack("<I", len(dims)) + b"".join(
            struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", t, offset)
        padded = data + b"\0" * ((-len(data)) % 32)
        blobs.append(padded)
        offset += len(padded)
    out += b"\0" * ((-len(out)) % 32)
    put("gguf", "tiny-v3.gguf", out + b"".join(blobs))
    put("gguf", "empty-v2.gguf", b"GGUF" + struct.pack("<IQQ", 2, 0, 0))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return json.loads(r.read())


def ledger_seeds(tmp):
    home = os.path.join(tmp, "home")
    env = dict(os.environ, TRIBUTARY_HOME=home)
    env.pop("TRIBUTARY_PASSPHRASE", None)
    env.pop("TRIBUTARY_PASSPHRASE_FILE", None)
    port = free_port()
    node = subprocess.Popen([TRIB, "node", "--data", os.path.join(tmp, "data"), "--dev",
                             "--listen", f"127.0.0.1:{port}", "--block-interval-ms", "0",
                             "--web", ""], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                get(port, "/healthz")
                break
            except OSError:
                time.sleep(0.05)
        cli = [TRIB, "--node", f"http://127.0.0.1:{port}"]
        run(cli + ["keys", "new", "--name", "alice", "--unencrypted"], env)
        run(cli + ["tx", "transfer", "--from", "dev", "--to", "alice", "--amount", "12.5", "--wait"], env)
        run(cli + ["tx", "stake", "--from", "alice", "--amount", "1", "--wait"], env)
        created = json.loads(run(cli + ["--json", "datanet", "create", "--name", "Seeds",
                                        "--summary", "fuzz seeds", "--license", "MIT",
                                        "--policy", "approval", "--schema", "prompt,response"], env))
        ds = str(created.get("datanet", {}).get("id", created.get("id", 1)))
        rows = os.path.join(tmp, "rows.jsonl")
        with open(rows, "w") as f:
            f.write('{"prompt": "What is a seed?", "response": "A start."}\n'
                    '{"prompt": "Fuzz?", "response": "Yes."}\n')
        contributed = json.loads(run(cli + ["--json", "datanet", "contribute", "--from", "alice",
                                            "--datanet", ds, rows], env))
        cid = contributed.get("contribution_id", "")
        run(cli + ["datanet", "review", cid, "--approve"], env)
        run(cli + ["datanet", "update", ds, "--summary", "fuzz seeds, updated"], env)
        run(cli + ["datanet", "publish", ds], env)
        evm = "0x" + "ab" * 20
        run(cli + ["apikey", "create", "--from", "alice", "--label", "seed"], env)
        run(cli + ["rewards", "payout", "--from", "alice", "--evm-address", evm], env)
        run(cli + ["bridge", "withdraw", "--from", "alice", "--to", evm, "--amount", "1"], env)
        run(cli + ["tx", "unstake", "--from", "alice", "--amount", "1", "--wait"], env)
        run(cli + ["gov", "delegate", "--from", "dev"], env)
        alice = run(cli + ["keys", "show", "alice", "--address"], env).strip()
        tip = get(port, "/v1/blocks/latest")["height"]
        kinds_seen = set()
        for h in range(1, tip + 1):
            for tx_hash in get(port, f"/v1/blocks/{h}").get("txs", []):
                full = get(port, f"/v1/tx/{tx_hash}")
                tx = full["tx"]
                kind = tx["kind"]
                if kind in kinds_seen:
                    continue
                kinds_seen.add(kind)
                put("tx_codec", f"{kind}.bin", bytes.fromhex(tx["raw"]))
                put("proof", f"tx-{kind}.json", json.dumps(full))
                plain = {k: v for k, v in tx.items() if k != "raw"}
                put("json_bodies", f"tx-{kind}.json", json.dumps(plain))
                put("json_bodies", f"wrapped-{kind}.json", json.dumps({"tx": {"raw": tx["raw"]}}))
                put("json_bodies", f"payload-{kind}.json", json.dumps(tx["payload"]))
        put("proof", "account.json", json.dumps(get(port, f"/v1/accounts/{alice}?prove=1")))
        put("json_bodies", "batch.json", json.dumps({"txs": [{"raw": "00"}]}))
        put("json_bodies", "schema.json",
            json.dumps({"kind": "fields", "fields": ["q", "a"], "paragraphs": False}))
        for name in ("dev", "alice"):
            put("key_file", f"{name}-v1.json", open(os.path.join(home, "keys", name + ".json")).read())
        sealed_env = dict(env, TRIBUTARY_PASSPHRASE="seed")
        run([TRIB, "keys", "new", "--name", "sealed"], sealed_env)
        put("key_file", "sealed-v2.json", open(os.path.join(home, "keys", "sealed.json")).read())
        put("key_file", "seed.hex", "11" * 32 + "\n")
    finally:
        node.terminate()
        node.wait()


def text_seeds():
    # datanet_files: the first byte picks the file type (byte % 4: txt md jsonl csv) and the
    # schema ((byte >> 2) % 3: text, prompt/response, fields question,answer,source).
    put("datanet_files", "txt-text", b"\x10" + b"First paragraph.\n\nSecond one,\r\nwith CRLF.\n")
    put("datanet_files", "md-text", b"\x01" + "# Title\n\nSome *markdown* – naïve.\n".encode())
    put("datanet_files", "jsonl-pr",
        b"\x06" + b'{"prompt": "p1", "response": "r1"}\n{"prompt": "p2", "response": "r2"}\n')
    put("datanet_files", "csv-fields",
        b"\x0b" + b'question,answer,source\n"a, quoted",b,c\nx,"y ""q""",z\n')
    put("datanet_files", "jsonl-fields",
        b"\x0a" + b'{"question": "q", "answer": "a", "source": "s"}\n')
    # multipart: the Content-Type line, then the body, as the CLI, a browser and curl send them.
    cli = (b"--tributary-upload-7c1f0e5b9a2d4c38\r\nContent-Disposition: form-data; name=\"file\"; "
           b"filename=\"a.txt\"\r\nContent-Type: application/octet-stream\r\n\r\nFirst.\r\n\r\n"
           b"Second.\r\n--tributary-upload-7c1f0e5b9a2d4c38\r\nContent-Disposition: form-data; "
           b"name=\"tx\"\r\nContent-Type: application/json\r\n\r\n{\"kind\":\"x\"}\r\n"
           b"--tributary-upload-7c1f0e5b9a2d4c38--\r\n")
    put("multipart", "cli", b"multipart/form-data; boundary=tributary-upload-7c1f0e5b9a2d4c38\n" + cli)
    put("multipart", "browser",
        b"multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW\n"
        b"------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Disposition: form-data; name=\"file\"; "
        b"filename=\"C:\\dir\\q%22.jsonl\"\r\nContent-Type: application/x-ndjson\r\n\r\n"
        b"{\"prompt\": \"p\", \"response\": \"r\"}\n\r\n"
        b"------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n")
    put("multipart", "curl-quoted",
        b"Multipart/Form-Data; charset=utf-8; boundary=\"x y'z\"\n"
        b"preamble\r\n--x y'z \t\r\ncontent-disposition: FORM-DATA; name=f; filename=b.csv\r\n\r\n"
        b"q,a\r\n--x y'zz,not a boundary\r\n--x y'z\r\nContent-Disposition: form-data; name=e\r\n"
        b"\r\n\r\n--x y'z--\r\nepilogue")
    put("openai_request", "chat.json", json.dumps({
        "model": "1", "messages": [{"role": "system", "content": "Be brief."},
                                   {"role": "user", "content": "Hello"}],
        "max_tokens": 8, "temperature": 0.7, "top_p": 0.9, "seed": 1, "stop": ["\n", "END"],
        "stream": True, "stream_options": {"include_usage": True}, "logprobs": True,
        "top_logprobs": 2, "user": "u"}))
    put("openai_request", "completion.json", json.dumps({
        "model": "base", "prompt": "Once", "max_completion_tokens": 4, "stop": "x", "n": 1}))
    put("tokenizer_encode", "ascii", b"Hello there, the other eater.")
    put("tokenizer_encode", "utf8", "naïve café – 東京 🙂\n\t  spaces".encode())
    put("tokenizer_encode", "invalid", b"\xff\xfe\xc3(\xe2\x82 ok")
    put("tokenizer_encode", "special", b"<|begin_of_text|>hi<|end_of_text|>")
    for name in os.listdir(os.path.join(ROOT, "tests", "data", "tokenizer")):
        if name.endswith(".jinja"):
            put("tokenizer_encode", name, open(os.path.join(ROOT, "tests", "data", "tokenizer", name), "rb").read())


def main():
    for b in (TRIB, MODEL):
        if not os.path.exists(b):
            sys.exit(f"{b} is missing: build first (make)")
    shutil.rmtree(CORPUS, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        model_seeds(tmp)
        gguf_seed()
        ledger_seeds(tmp)
        text_seeds()
    for t in sorted(os.listdir(CORPUS)):
        print(f"{t:18} {len(os.listdir(os.path.join(CORPUS, t)))} seeds")


if __name__ == "__main__":
    main()
