"""schemathesis hooks of the REST contract test (graphql/tests/rest_contract.rs).

The OpenAPI document of /api/v1 names two formats that no regular expression can state:
`ed25519-public-key` (32 bytes that are a valid ed25519 point of full order) and
`aptos-signed-transaction` (the BCS of an Aptos SignedTransaction). The test computes
valid samples of each in Rust and passes them here, comma-separated, in
CS_CONTRACT_ED25519_KEYS and CS_CONTRACT_SIGNED_TRANSACTIONS; schemathesis then draws the
values of these formats from them.
"""

import os

import schemathesis
from hypothesis import strategies as st


def _samples(var):
    values = [v for v in os.environ.get(var, "").split(",") if v]
    if not values:
        raise RuntimeError(f"{var} is empty: the contract test passes the samples")
    return st.sampled_from(values)


schemathesis.openapi.format("ed25519-public-key", _samples("CS_CONTRACT_ED25519_KEYS"))
schemathesis.openapi.format(
    "aptos-signed-transaction", _samples("CS_CONTRACT_SIGNED_TRANSACTIONS")
)
