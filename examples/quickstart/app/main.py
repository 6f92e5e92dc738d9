"""Example application shipped on top of the conda base image."""


def main() -> None:
    print("model service ready")


if __name__ == "__main__":
    main()
