"""Vanity's generator: system spec (YAML) -> C tables, headers, linker scripts.

Four layers with one-way imports and no global state:

    parse     YAML text -> nodes that remember file:line:col
    validate  nodes -> checked plain values, or every error at once
    model     checked values -> frozen dataclasses (ids, bits, memory layout)
    render    model -> files, through Jinja2 templates and clang-format

`cli` drives them; `errors`, `units`, `boards` and `keys` are leaf modules
that any layer may use.
"""
