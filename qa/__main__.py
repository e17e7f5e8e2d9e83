from qa.entry import main

main()
