from qa.interfaces.entry import main

if __name__ == "__main__":  # not when `qa ingest --jobs N` spawns its embedding workers
    main()
