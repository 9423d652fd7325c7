#!/usr/bin/env python3
"""Renders the chat templates the tokenizer tests check, the way `transformers` does
(jinja2 sandbox, trim_blocks, lstrip_blocks), and prints the results as C++ string literals.

The expected strings in tests/model/tokenizer_test.cpp were produced by this script; run it
after changing a template or a conversation there: python3 render_chat_templates.py
"""
import json
import pathlib

from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = pathlib.Path(__file__).parent

LLAMA3 = ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
          "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim "
          "+ '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif "
          "%}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
          "'<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] "
          "+ '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' "
          "}}{% endif %}")
QWEN2 = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
         "'<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif "
         "%}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + "
         "'\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

TEMPLATES = {
    "llama3": LLAMA3,
    "llama31": (HERE / "llama31_chat_template.jinja").read_text(),
    "chatml": CHATML,
    "qwen2": QWEN2,
    "qwen25": (HERE / "qwen25_chat_template.jinja").read_text(),
}

CONVERSATIONS = {
    "with_system": [
        {"role": "system", "content": " You are terse.\n"},
        {"role": "user", "content": "  What is 2+2?\n"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And 3+3?"},
    ],
    "no_system": [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi! How can I help?"},
        {"role": "user", "content": "Tell me a joke.\t"},
    ],
}


def render(source, messages, add_generation_prompt):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[loopcontrols])
    env.filters["tojson"] = lambda x, indent=None: json.dumps(x, indent=indent)

    def raise_exception(message):
        raise ValueError(message)

    env.globals["raise_exception"] = raise_exception
    return env.from_string(source).render(messages=messages,
                                          add_generation_prompt=add_generation_prompt,
                                          bos_token="<|begin_of_text|>",
                                          eos_token="<|eot_id|>")


def cpp(s):
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return '"' + out + '"'


if __name__ == "__main__":
    for name, source in TEMPLATES.items():
        for conv, messages in CONVERSATIONS.items():
            for gen in (True, False):
                print(f"{name} {conv} add_generation_prompt={gen}:")
                print("  " + cpp(render(source, messages, gen)))
