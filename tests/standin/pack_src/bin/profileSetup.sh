#!/usr/bin/env bash
# ---------------------------------------------------------------------------
# STAND-IN for WSO2 API Control Plane bin/profileSetup.sh
# -- TEST FIXTURE, NOT WSO2 CODE.
#
#   profileSetup.sh -Dprofile=key-manager [--skipConfigOptimization]
#
# Copies repository/resources/conf/deployment-templates/key-manager.toml over
# repository/conf/deployment.toml (the first original is kept as
# deployment.toml.backup) unless --skipConfigOptimization is given, then
# removes the webapps a Key Manager does not need.
# ---------------------------------------------------------------------------
set -u

BIN_DIR="$(cd "$(dirname "$0")" && pwd)"
CARBON_HOME="$(dirname "$BIN_DIR")"
CONF="$CARBON_HOME/repository/conf/deployment.toml"
TEMPLATES="$CARBON_HOME/repository/resources/conf/deployment-templates"
WEBAPPS="$CARBON_HOME/repository/deployment/server/webapps"

usage() {
    echo "usage: $0 -Dprofile=key-manager [--skipConfigOptimization]" >&2
}

PROFILE=""
SKIP_CONFIG=0
for arg in "$@"; do
    case "$arg" in
        -Dprofile=*) PROFILE="${arg#-Dprofile=}" ;;
        --skipConfigOptimization) SKIP_CONFIG=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "ERROR: unknown argument '$arg'" >&2; usage; exit 1 ;;
    esac
done

case "$PROFILE" in
    key-manager)
        REMOVE_WEBAPPS=(
            "api#am#publisher.war" "api#am#publisher"
            "api#am#devportal.war" "api#am#devportal"
            "api#am#admin.war" "api#am#admin"
            "api#am#gateway#v2.war" "api#am#gateway#v2"
            "api#am#service-catalog#v1.war" "api#am#service-catalog#v1"
            "publisher" "devportal" "admin"
        )
        ;;
    "")
        echo "ERROR: no profile given" >&2
        usage
        exit 1
        ;;
    *)
        echo "ERROR: unknown profile '$PROFILE' (this pack supports: key-manager)" >&2
        exit 1
        ;;
esac

echo "Setting up profile '$PROFILE' in $CARBON_HOME (stand-in)"

if [ "$SKIP_CONFIG" -eq 1 ]; then
    echo "Skipped deployment.toml optimisation (--skipConfigOptimization)"
else
    TEMPLATE="$TEMPLATES/$PROFILE.toml"
    if [ ! -f "$TEMPLATE" ]; then
        echo "ERROR: template $TEMPLATE not found" >&2
        exit 1
    fi
    if [ -f "$CONF" ] && [ ! -f "$CONF.backup" ]; then
        cp -p "$CONF" "$CONF.backup" || exit 1
        echo "Saved repository/conf/deployment.toml as deployment.toml.backup"
    fi
    cp "$TEMPLATE" "$CONF" || exit 1
    echo "Replaced repository/conf/deployment.toml with deployment-templates/$PROFILE.toml"
fi

removed=0
for webapp in "${REMOVE_WEBAPPS[@]}"; do
    if [ -e "$WEBAPPS/$webapp" ]; then
        rm -rf "${WEBAPPS:?}/$webapp" || exit 1
        echo "Removed webapp $webapp"
        removed=$((removed + 1))
    fi
done
echo "Removed $removed webapp(s) not needed by profile '$PROFILE'"
echo "Profile '$PROFILE' is ready; start the node with bin/key-manager.sh"
