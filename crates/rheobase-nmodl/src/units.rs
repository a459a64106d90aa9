//! Unit conversion factors for UNITS-block entries such as `FARADAY = (faraday) (coulomb)` or
//! `R = (k-mole) (joule/degC)`: the value of the first unit expressed in the second.
//!
//! Units are written in the syntax of `units(1)` that NEURON's `nrnunits.lib` uses: terms multiplied by spaces or
//! `-`, everything after a `/` divides, a trailing digit is a power (`cm2`), `1+8` is 1e8 and `1|2` a
//! fraction, names take SI prefixes (`milli`, `m`, `kilo`, `k` …) and a plural `s`. The table below holds the
//! SI units and the physical constants with NEURON's current (2019 SI, exact) values; the `.mod` file's own
//! aliases (`(mM) = (millimolar)`) are added by the caller.

use std::collections::HashMap;

/// Exponents of metre, kilogram, second, coulomb, kelvin.
type Dims = [i32; 5];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    pub value: f64,
    dims: Dims,
}

impl Quantity {
    const fn new(value: f64, dims: Dims) -> Self {
        Quantity { value, dims }
    }
    fn mul(self, o: Quantity) -> Quantity {
        let mut dims = self.dims;
        for (d, e) in dims.iter_mut().zip(o.dims) {
            *d += e;
        }
        Quantity { value: self.value * o.value, dims }
    }
    fn powi(self, p: i32) -> Quantity {
        Quantity { value: self.value.powi(p), dims: self.dims.map(|d| d * p) }
    }
}

const ONE: Dims = [0, 0, 0, 0, 0];
const M: Dims = [1, 0, 0, 0, 0];
const KG: Dims = [0, 1, 0, 0, 0];
const S: Dims = [0, 0, 1, 0, 0];
const C: Dims = [0, 0, 0, 1, 0];
const K: Dims = [0, 0, 0, 0, 1];
const JOULE: Dims = [2, 1, -2, 0, 0];
const VOLT: Dims = [2, 1, -2, -1, 0];
const AMP: Dims = [0, 0, -1, 1, 0];
const OHM: Dims = [2, 1, -1, -2, 0];
const SIEMENS: Dims = [-2, -1, 1, 2, 0];
const FARAD: Dims = [-2, -1, 2, 2, 0];
const LITRE: Dims = [3, 0, 0, 0, 0];

const ELEMENTARY_CHARGE: f64 = 1.602176634e-19; // C
const AVOGADRO: f64 = 6.02214076e23; // 1/mol (a number in units(1))
const BOLTZMANN: f64 = 1.380649e-23; // J/K

fn base(name: &str) -> Option<Quantity> {
    let q = Quantity::new;
    Some(match name {
        "m" | "meter" | "metre" => q(1.0, M),
        "micron" => q(1e-6, M),
        "angstrom" => q(1e-10, M),
        "kg" => q(1.0, KG),
        "g" | "gram" | "gm" => q(1e-3, KG),
        "s" | "sec" | "second" => q(1.0, S),
        "min" | "minute" => q(60.0, S),
        "hr" | "hour" => q(3600.0, S),
        "coul" | "coulomb" | "C" => q(1.0, C),
        "K" | "kelvin" | "degC" | "degK" | "celsius" => q(1.0, K),
        "joule" | "J" => q(1.0, JOULE),
        "erg" => q(1e-7, JOULE),
        "volt" | "V" => q(1.0, VOLT),
        "amp" | "ampere" | "A" => q(1.0, AMP),
        "ohm" => q(1.0, OHM),
        "mho" | "siemens" | "S" => q(1.0, SIEMENS),
        "farad" | "F" => q(1.0, FARAD),
        "watt" | "W" => q(1.0, [2, 1, -3, 0, 0]),
        "newton" | "N" => q(1.0, [1, 1, -2, 0, 0]),
        "hertz" | "Hz" => q(1.0, [0, 0, -1, 0, 0]),
        "liter" | "litre" | "l" | "L" => q(1e-3, LITRE),
        "molar" => q(AVOGADRO * 1e3, [-3, 0, 0, 0, 0]), // mole/liter, the mole being a number
        "mole" | "mol" | "avogadro" => q(AVOGADRO, ONE),
        "e" => q(ELEMENTARY_CHARGE, C),
        "faraday" => q(ELEMENTARY_CHARGE * AVOGADRO, C),
        "boltzmann" | "k" => q(BOLTZMANN, [2, 1, -2, 0, -1]),
        "gasconstant" | "R" => q(BOLTZMANN * AVOGADRO, [2, 1, -2, 0, -1]),
        "planck" | "h" => q(6.62607015e-34, [2, 1, -1, 0, 0]),
        "c" => q(2.99792458e8, [1, 0, -1, 0, 0]),
        "pi" | "PI" => q(std::f64::consts::PI, ONE),
        "percent" => q(1e-2, ONE),
        _ => return None,
    })
}

const PREFIXES: &[(&str, f64)] = &[
    ("yotta", 1e24),
    ("zetta", 1e21),
    ("exa", 1e18),
    ("peta", 1e15),
    ("tera", 1e12),
    ("giga", 1e9),
    ("mega", 1e6),
    ("myria", 1e4),
    ("kilo", 1e3),
    ("hecto", 1e2),
    ("deka", 1e1),
    ("deci", 1e-1),
    ("centi", 1e-2),
    ("milli", 1e-3),
    ("micro", 1e-6),
    ("nano", 1e-9),
    ("pico", 1e-12),
    ("femto", 1e-15),
    ("atto", 1e-18),
    ("da", 1e1),
    ("Y", 1e24),
    ("Z", 1e21),
    ("E", 1e18),
    ("P", 1e15),
    ("T", 1e12),
    ("G", 1e9),
    ("M", 1e6),
    ("k", 1e3),
    ("h", 1e2),
    ("d", 1e-1),
    ("c", 1e-2),
    ("m", 1e-3),
    ("u", 1e-6),
    ("n", 1e-9),
    ("p", 1e-12),
    ("f", 1e-15),
    ("a", 1e-18),
];

/// Units known by name: the table, plus the `.mod` file's aliases (already evaluated).
pub struct UnitTable {
    aliases: HashMap<String, Quantity>,
}

impl Default for UnitTable {
    fn default() -> Self {
        Self::new()
    }
}

impl UnitTable {
    pub fn new() -> Self {
        UnitTable { aliases: HashMap::new() }
    }

    /// `(name) = (definition)` from a UNITS block.
    pub fn alias(&mut self, name: &str, definition: &str) -> Result<(), String> {
        let q = self.eval(definition)?;
        self.aliases.insert(name.trim().to_string(), q);
        Ok(())
    }

    /// The value of `from` expressed in `to` (`(faraday) (coulomb)` → 96485.33…); an error when a name is
    /// unknown or the dimensions differ.
    pub fn factor(&self, from: &str, to: &str) -> Result<f64, String> {
        let (a, b) = (self.eval(from)?, self.eval(to)?);
        if a.dims != b.dims {
            return Err(format!("units ({from}) and ({to}) have different dimensions"));
        }
        Ok(a.value / b.value)
    }

    fn name(&self, name: &str) -> Option<Quantity> {
        if let Some(q) = self.aliases.get(name).copied().or_else(|| base(name)) {
            return Some(q);
        }
        if let Some((_, f)) = PREFIXES.iter().find(|(p, _)| *p == name) {
            return Some(Quantity::new(*f, ONE)); // a prefix alone is a number (`milli/liter`)
        }
        for (p, f) in PREFIXES {
            let rest = name.strip_prefix(p).filter(|r| !r.is_empty());
            if let Some(q) = rest.and_then(|r| self.aliases.get(r).copied().or_else(|| base(r))) {
                return Some(Quantity::new(q.value * f, q.dims));
            }
        }
        let singular = name.strip_suffix('s').filter(|s| !s.is_empty())?;
        self.name(singular)
    }

    /// One term: a number (`1e-3`, `1+8`, `1|2`) or a name with an optional power digit (`cm2`).
    fn term(&self, t: &str) -> Result<Quantity, String> {
        if t.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            return number(t).map(|v| Quantity::new(v, ONE)).ok_or_else(|| format!("bad number `{t}` in units"));
        }
        let stem = t.trim_end_matches(|c: char| c.is_ascii_digit());
        let power: i32 = if stem.len() < t.len() { t[stem.len()..].parse().unwrap_or(1) } else { 1 };
        let q = self.name(stem).ok_or_else(|| format!("unknown unit `{stem}`"))?;
        Ok(q.powi(power))
    }

    /// A units expression: terms multiplied; every term after a `/` divides.
    pub fn eval(&self, text: &str) -> Result<Quantity, String> {
        let mut q = Quantity::new(1.0, ONE);
        for (k, part) in text.split('/').enumerate() {
            for t in part.split(|c: char| c.is_whitespace() || c == '-' || c == '*').filter(|t| !t.is_empty()) {
                let x = self.term(t)?;
                q = q.mul(if k == 0 { x } else { x.powi(-1) });
            }
        }
        Ok(q)
    }
}

/// `2`, `1e-3`, `1+8` (= 1e8), `1-10` (= 1e-10, after a digit), `1|2` (= 0.5).
fn number(t: &str) -> Option<f64> {
    if let Some((a, b)) = t.split_once('|') {
        return Some(number(a)? / number(b)?);
    }
    if let Ok(v) = t.parse::<f64>() {
        return Some(v);
    }
    let at = t.rfind(['+', '-']).filter(|&i| i > 0)?;
    Some(t[..at].parse::<f64>().ok()? * 10f64.powi(t[at..].parse::<i32>().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neuron_constants() {
        let u = UnitTable::new();
        assert_eq!(u.factor("faraday", "coulomb").unwrap(), 96485.33212331001);
        assert!((u.factor("faraday", "kilocoulombs").unwrap() - 96.48533212331).abs() < 1e-11);
        assert!((u.factor("k-mole", "joule/degC").unwrap() - 8.31446261815324).abs() < 1e-13);
        assert_eq!(u.factor("e", "coulombs").unwrap(), 1.602176634e-19);
        assert_eq!(u.factor("k", "joule/degC").unwrap(), 1.380649e-23);
        assert_eq!(u.factor("pi", "1").unwrap(), std::f64::consts::PI);
        assert!((u.factor("mV", "V").unwrap() - 1e-3).abs() < 1e-18);
        assert!((u.factor("1/cm", "1/um").unwrap() - 1e-4).abs() < 1e-18);
        assert!(u.factor("mV", "mA").is_err());
        assert!(u.factor("furlong", "m").is_err());
    }

    #[test]
    fn aliases_and_numbers() {
        let mut u = UnitTable::new();
        u.alias("molar", "1/liter").unwrap();
        u.alias("mM", "millimolar").unwrap();
        u.alias("uM", "micro/liter").unwrap();
        u.alias("um", "micron").unwrap();
        assert!((u.factor("uM", "mM").unwrap() - 1e-3).abs() < 1e-18);
        assert!((u.factor("um2", "cm2").unwrap() - 1e-8).abs() < 1e-22);
        assert_eq!(number("1+8"), Some(1e8));
        assert_eq!(number("1-10"), Some(1e-10));
        assert_eq!(number("1|2"), Some(0.5));
    }
}
