use computestream_domain::AccountAddress;

/// A Move abort: where, which named code, and the doc comment of the constant, printed the
/// way the node prints `vm_status`:
/// `Move abort in 0x…::module: E_NAME(0x1): description` (the address with its leading
/// zeros dropped, as the node prints an abort location).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abort {
    pub address: AccountAddress,
    pub module: &'static str,
    pub name: &'static str,
    pub code: u64,
    pub description: &'static str,
}

impl Abort {
    pub fn vm_status(&self) -> String {
        format!(
            "Move abort in {}::{}: {}({:#x}): {}",
            self.address.to_hex_literal(),
            self.module,
            self.name,
            self.code,
            self.description
        )
    }
}

/// Why an entry function did not complete. Either way the transaction commits as failed,
/// pays its gas, bumps the sequence number and emits only its fee statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecFailure {
    Abort(Abort),
    /// A VM status other than an abort (`LINKER_ERROR`, `FAILED_TO_DESERIALIZE_ARGUMENT`,
    /// `NUMBER_OF_ARGUMENTS_MISMATCH`, ...).
    Status(&'static str),
}

impl ExecFailure {
    pub fn vm_status(&self) -> String {
        match self {
            ExecFailure::Abort(a) => a.vm_status(),
            ExecFailure::Status(s) => (*s).to_owned(),
        }
    }
}

impl From<Abort> for ExecFailure {
    fn from(a: Abort) -> Self {
        ExecFailure::Abort(a)
    }
}

/// Declares a module's named abort codes as constructors of [`Abort`].
macro_rules! abort_codes {
    ($module:literal { $( $name:ident = $code:literal : $desc:literal ),* $(,)? }) => {
        #[allow(non_snake_case, dead_code)]
        pub mod codes {
            $(
                pub fn $name(package: computestream_domain::AccountAddress) -> $crate::vm::Abort {
                    $crate::vm::Abort {
                        address: package,
                        module: $module,
                        name: stringify!($name),
                        code: $code,
                        description: $desc,
                    }
                }
            )*

            /// The abort named `name` of this module, if it has one.
            pub fn named(
                package: computestream_domain::AccountAddress,
                name: &str,
            ) -> Option<$crate::vm::Abort> {
                match name {
                    $( stringify!($name) => Some($name(package)), )*
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use abort_codes;
