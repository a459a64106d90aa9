"""A one-minute tour of rheobase: NEURON's tutorial cell, run on rheobase.

Run it with ``python -m rheobase.demo`` or the ``rheobase-demo`` console script.

It builds the model from NEURON's "Scripting NEURON basics" tutorial -- a 20 um hh soma given a
brief 0.9 nA current pulse -- exactly as a NEURON user would write it (only the import differs),
runs it for 40 ms, then re-runs it at several pulse amplitudes, counts the spikes at each, and
plots every trace into a PNG. Plotting needs matplotlib, the optional extra ``rheobase[plot]``;
without it the simulations still run and the spike counts are still printed.
"""

import argparse
import os
import sys

DEFAULT_OUT = "rheobase_demo.png"
# The tutorial's 0.9 nA plus amplitudes on both sides of this cell's threshold (about 0.81 nA
# for a 0.1 ms pulse), so the figure shows both subthreshold responses and spikes.
DEFAULT_AMPS = (0.3, 0.6, 0.8, 0.9, 1.5)


def count_spikes(v, threshold=0.0):
    """Upward crossings of `threshold` (mV) in a voltage trace."""
    return sum(1 for a, b in zip(v, v[1:]) if a < threshold <= b)


def simulate(amps):
    """Run the tutorial model once as written, then once per amplitude.

    Returns (tutorial_trace, sweep) where tutorial_trace is (t, v) and sweep is a list of
    (amp, t, v); traces are plain lists so they survive the next run overwriting the Vectors.
    """
    # This block is the tutorial model, line for line as NEURON users write it.
    from rheobase import n
    from rheobase.units import ms, mV

    soma = n.Section("soma")
    soma.L = 20
    soma.diam = 20
    soma.insert("hh")

    iclamp = n.IClamp(soma(0.5))
    iclamp.delay = 2
    iclamp.dur = 0.1
    iclamp.amp = 0.9

    v = n.Vector().record(soma(0.5)._ref_v)  # Membrane potential vector
    t = n.Vector().record(n._ref_t)  # Time stamp vector

    n.load_file("stdrun.hoc")
    n.finitialize(-65 * mV)
    n.continuerun(40 * ms)
    tutorial = (list(t), list(v))

    # The amplitude loop: same cell, new stimulus amplitude, re-initialise and run again.
    sweep = []
    for amp in amps:
        iclamp.amp = amp
        n.finitialize(-65 * mV)
        n.continuerun(40 * ms)
        sweep.append((amp, list(t), list(v)))
    return tutorial, sweep


def plot(tutorial, sweep, out):
    """Write the figure to `out`; return False (after saying why) if matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        print(
            "matplotlib is not installed, so no figure was drawn (the simulations above ran "
            "fine).\nPlotting is an optional extra: pip install 'rheobase[plot]'",
            file=sys.stderr,
        )
        return False
    # Agg renders straight to a file: no display needed (servers, CI, SSH sessions).
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    ax1.plot(*tutorial, color="black")
    ax1.set_title("Tutorial run: 0.9 nA for 0.1 ms")
    ax1.set_xlabel("t (ms)")
    ax1.set_ylabel("v (mV)")
    for amp, t, v in sweep:
        ax2.plot(t, v, label=f"{amp:g} nA, {count_spikes(v)} spike(s)")
    ax2.set_title("Amplitude loop")
    ax2.set_xlabel("t (ms)")
    ax2.legend(fontsize="small")
    fig.suptitle("rheobase: hh soma (L = diam = 20 µm), IClamp at t = 2 ms")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="rheobase-demo",
        description="Run NEURON's tutorial hh soma on rheobase and plot it to a PNG.",
    )
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="PATH",
                        help=f"PNG file to write (default: {DEFAULT_OUT})")
    parser.add_argument("--amps", default=",".join(f"{a:g}" for a in DEFAULT_AMPS),
                        metavar="A,B,...", help="stimulus amplitudes in nA for the loop")
    args = parser.parse_args(argv)
    try:
        amps = [float(a) for a in args.amps.split(",") if a.strip()]
    except ValueError:
        parser.error(f"--amps must be comma-separated numbers, got {args.amps!r}")

    tutorial, sweep = simulate(amps)
    print(f"tutorial run (0.9 nA): {count_spikes(tutorial[1])} spike(s), "
          f"peak v = {max(tutorial[1]):.1f} mV")
    print("amplitude loop (0.1 ms pulse at t = 2 ms, 40 ms run):")
    for amp, _, v in sweep:
        print(f"  {amp:6.3f} nA: {count_spikes(v)} spike(s), peak v = {max(v):7.2f} mV")

    if plot(tutorial, sweep, args.out):
        print(f"figure written to {os.path.abspath(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
