from realitygap.cli import main

main()
