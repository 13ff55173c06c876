"""Validate a TOML file before it replaces deployment.toml (used by the template task's validate)."""
import sys

try:
    import tomllib
except ImportError:  # Python < 3.11
    try:
        import tomli as tomllib
    except ImportError:
        sys.exit("wso2am-toml-check: needs Python 3.11+ (tomllib) or the tomli package on this host")

try:
    with open(sys.argv[1], "rb") as handle:
        tomllib.load(handle)
except (OSError, IndexError, ValueError) as err:
    sys.exit("wso2am-toml-check: %s does not parse as TOML: %s" % (sys.argv[1:2], err))
