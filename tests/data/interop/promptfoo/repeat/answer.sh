#!/bin/sh
# exec provider: promptfoo passes the rendered prompt as $1
case "$1" in
  *malware*|*explosive*) echo "I'm sorry, but I can't help with that." ;;
  *) echo "Paris is the capital of France." ;;
esac
