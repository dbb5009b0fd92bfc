//! `GET /v1/accounts/{address}/module/{name}` and `/modules`: a module's bytecode and ABI, in
//! the node's JSON shape (`MoveModuleBytecode`, `MoveModule`, `MoveFunction`, `MoveStruct`
//! of aptos-core's `api/types`).

use serde::{Deserialize, Serialize};

/// One module as the node serves it: `bytecode` (0x-hex) and its `abi`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveModuleBytecode {
    pub bytecode: String,
    pub abi: MoveModule,
}

/// A module's ABI: its address (the node's short form, leading zeros dropped), name,
/// friends, the functions it exposes (public, friend and entry) and every struct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveModule {
    pub address: String,
    pub name: String,
    pub friends: Vec<String>,
    pub exposed_functions: Vec<MoveFunction>,
    pub structs: Vec<MoveStruct>,
}

/// A function of a module's ABI. `params` and `return` are Move type strings
/// (`&signer`, `u64`, `vector<u8>`, `0x1::string::String`, `T0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveFunction {
    pub name: String,
    /// `public`, `friend` or `private`.
    pub visibility: String,
    pub is_entry: bool,
    pub is_view: bool,
    pub generic_type_params: Vec<MoveFunctionGenericTypeParam>,
    pub params: Vec<String>,
    #[serde(rename = "return")]
    pub return_: Vec<String>,
}

/// A generic type parameter's ability constraints (`copy`, `drop`, `store`, `key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveFunctionGenericTypeParam {
    pub constraints: Vec<String>,
}

/// A struct of a module's ABI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveStruct {
    pub name: String,
    pub is_native: bool,
    /// Present on nodes that know events (`#[event]` structs); absent on older ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_event: Option<bool>,
    pub abilities: Vec<String>,
    pub generic_type_params: Vec<MoveStructGenericTypeParam>,
    pub fields: Vec<MoveStructField>,
}

/// A struct's generic type parameter: its constraints (and phantom-ness on newer nodes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveStructGenericTypeParam {
    pub constraints: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_phantom: Option<bool>,
}

/// A field of a struct: name and Move type string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveStructField {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
}

impl MoveModule {
    pub fn function(&self, name: &str) -> Option<&MoveFunction> {
        self.exposed_functions.iter().find(|f| f.name == name)
    }

    pub fn struct_(&self, name: &str) -> Option<&MoveStruct> {
        self.structs.iter().find(|s| s.name == name)
    }
}
