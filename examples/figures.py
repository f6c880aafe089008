"""Regenerate the README's figures with the library API (the same pictures as `crossentropy plot ...`).

    python examples/figures.py            # writes examples/figures/log_loss.png and ce_vs_mse.png
"""

from pathlib import Path

from crossentropy.plotting import plot_ce_vs_mse, plot_log_loss, save_figure


def main() -> None:
    here = Path(__file__).resolve().parent / "figures"
    save_figure(plot_log_loss(), here / "log_loss.png")
    save_figure(plot_ce_vs_mse(), here / "ce_vs_mse.png")
    print(f"wrote {here / 'log_loss.png'} and {here / 'ce_vs_mse.png'}")


if __name__ == "__main__":
    main()
