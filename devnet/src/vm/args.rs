//! Decoding of BCS entry-function arguments, with the VM's statuses for bad input.

use computestream_domain::AccountAddress;
use serde::de::DeserializeOwned;

use super::ExecFailure;

/// Reads the arguments of one entry-function call in order.
#[derive(Debug)]
pub struct Args<'a> {
    args: &'a [Vec<u8>],
    next: usize,
}

impl<'a> Args<'a> {
    /// `expected` is the function's parameter count (signer excluded).
    pub fn new(args: &'a [Vec<u8>], expected: usize) -> Result<Self, ExecFailure> {
        if args.len() != expected {
            return Err(ExecFailure::Status("NUMBER_OF_ARGUMENTS_MISMATCH"));
        }
        Ok(Args { args, next: 0 })
    }

    fn decode<T: DeserializeOwned>(&mut self) -> Result<T, ExecFailure> {
        let raw = self
            .args
            .get(self.next)
            .ok_or(ExecFailure::Status("NUMBER_OF_ARGUMENTS_MISMATCH"))?;
        self.next += 1;
        aptos_sdk::aptos_bcs::from_bytes(raw)
            .map_err(|_| ExecFailure::Status("FAILED_TO_DESERIALIZE_ARGUMENT"))
    }

    pub fn u64(&mut self) -> Result<u64, ExecFailure> {
        self.decode()
    }

    pub fn u8(&mut self) -> Result<u8, ExecFailure> {
        self.decode()
    }

    pub fn bool(&mut self) -> Result<bool, ExecFailure> {
        self.decode()
    }

    pub fn address(&mut self) -> Result<AccountAddress, ExecFailure> {
        self.decode::<[u8; 32]>().map(AccountAddress::new)
    }

    /// `std::string::String`: BCS bytes that must be UTF-8.
    pub fn string(&mut self) -> Result<String, ExecFailure> {
        let bytes: Vec<u8> = self.decode()?;
        String::from_utf8(bytes).map_err(|_| ExecFailure::Status("FAILED_TO_DESERIALIZE_ARGUMENT"))
    }

    pub fn bytes(&mut self) -> Result<Vec<u8>, ExecFailure> {
        self.decode()
    }

    pub fn u64_vec(&mut self) -> Result<Vec<u64>, ExecFailure> {
        self.decode()
    }

    pub fn bytes_vec(&mut self) -> Result<Vec<Vec<u8>>, ExecFailure> {
        self.decode()
    }
}
